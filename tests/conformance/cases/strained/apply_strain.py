from perqueue.constants import INDEX_KW
from conformance_record import recorded


@recorded
def main(strains, **kwargs):
    idx, *_ = kwargs[INDEX_KW]
    return True, {'db_id': 10 + idx, 'strain': strains[idx]}
