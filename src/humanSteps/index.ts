// Human steps: the service of waiting steps, their forms, the notebook toolbar, the Approvals
// panel, its dialogs and the perqueue:open-step / approve / reject commands.
export { humanStepsPlugin } from './plugin';
