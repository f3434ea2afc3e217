// The one path of a person's answer: HumanSteps (which the Approvals panel, the entry details, the
// notebook toolbar and the palette all run through the perqueue:approve / reject commands) calls
// the model, which calls the client's one method per route. The requests are checked as they
// leave the client, on a ServerConnection whose fetch records them.
import { ServerConnection } from '@jupyterlab/services';

import { PerQueueApiError, PerQueueClient } from '../../client';
import { PerQueueModel } from '../../model';
import { HumanSteps } from '../service';

interface ISent {
  method: string;
  url: string;
  body: unknown;
}

function recordingClient(answers: Record<string, unknown>): { client: PerQueueClient; sent: ISent[] } {
  const sent: ISent[] = [];
  const fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const request = input instanceof Request ? input : new Request(String(input), init);
    const text = await request.text();
    const url = new URL(request.url);
    // ServerConnection adds a cache-busting timestamp as the last query parameter.
    url.search = url.search.replace(/[?&]\d+$/, '');
    sent.push({ method: request.method, url: url.pathname + url.search, body: text ? JSON.parse(text) : undefined });
    const route = url.pathname.replace(/^\/perqueue\/api\//, '');
    const answer = route in answers ? answers[route] : {};
    return new Response(JSON.stringify(answer), { status: 200, headers: { 'Content-Type': 'application/json' } });
  };
  const settings = ServerConnection.makeSettings({
    baseUrl: 'http://localhost/',
    wsUrl: 'ws://localhost/',
    fetch,
    token: ''
  });
  const client = new PerQueueClient(settings);
  return { client, sent };
}

const WAITING = {
  node: { id: 7, workflowId: 2, name: 'check', state: 'awaiting_input', kind: 'manual', startedAt: 5 },
  spec: { kind: 'manual', name: 'check', onReject: 'discard' }
};

describe('the approval path', () => {
  it('approves with the result through the client, naming no person (the server does)', async () => {
    const { client, sent } = recordingClient({});
    client.project = 'runs/a';
    const steps = new HumanSteps({ model: new PerQueueModel({ client, transport: 'poll' }) });
    await steps.approve(7, { accepted: true });
    expect(sent).toEqual([
      { method: 'POST', url: '/perqueue/api/entries/7/approve?project=runs%2Fa', body: { data: { accepted: true } } }
    ]);
    steps.dispose();
  });

  it('rejects with the reason', async () => {
    const { client, sent } = recordingClient({});
    const steps = new HumanSteps({ model: new PerQueueModel({ client, transport: 'poll' }) });
    await steps.reject(7, 'wrong cell');
    expect(sent).toEqual([{ method: 'POST', url: '/perqueue/api/entries/7/reject', body: { reason: 'wrong cell' } }]);
    steps.dispose();
  });

  it('lists the waiting steps and makes a step notebook through the client', async () => {
    const { client, sent } = recordingClient({
      approvals: [WAITING],
      'entries/7/notebook': { path: 'human-steps/check-7.ipynb' }
    });
    const steps = new HumanSteps({ model: new PerQueueModel({ client, transport: 'poll' }) });
    const items = await steps.refresh();
    expect(items.map(a => a.node.id)).toEqual([7]);
    expect(await steps.prepareNotebook(7)).toBe('human-steps/check-7.ipynb');
    expect(sent.map(s => `${s.method} ${s.url}`)).toEqual([
      'GET /perqueue/api/approvals',
      'POST /perqueue/api/entries/7/notebook'
    ]);
    steps.dispose();
  });

  it('refuses an answer without a notebook path, naming the entry', async () => {
    const { client } = recordingClient({ 'entries/9/notebook': { made: true } });
    const error = await client.stepNotebook(9).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PerQueueApiError);
    expect((error as PerQueueApiError).message).toBe('the bridge gave no notebook path for entry 9');
  });
});
