import { laneOf } from '../config/matrix.ts';
import type { Lane, LaneOptions } from './types.ts';
import { sshLane } from './ssh-lane.ts';
import { imageLane } from './image/lane.ts';

/** The lane of a profile that does not boot a catalog kernel directly (profile.ssh or profile.image). */
export function laneFor(opts: LaneOptions): Lane {
  const lane = laneOf(opts.profile);
  if (lane === 'ssh') return sshLane(opts);
  if (lane === 'image') return imageLane(opts);
  throw new Error(`profile ${opts.profile.id} boots its kernel directly (runGuest), not through a lane`);
}
