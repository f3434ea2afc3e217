export { FullLogView, MAX_SHOWN_CHARS } from './view';
export { hasEnded, LogFollower, type ILogRange, type LogStream } from './follower';
export { openFullLog } from './open';
