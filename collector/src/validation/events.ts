/** What a run reports as it goes; reporters in ui/ decide how to show it. */
export type RunEvent =
  | { type: 'plan'; profiles: string[]; jobs: number }
  | { type: 'accel'; accel: 'kvm' | 'tcg'; reason: string }
  | { type: 'kernel'; profile: string; message: string }
  | { type: 'target-start'; profile: string; release: string }
  | { type: 'target-booted'; profile: string; ms: number }
  /** warning: a pass whose best-effort attach failed, the first warning's code ("loads, attach warned") */
  | { type: 'target-done'; profile: string; status: 'pass' | 'fail' | 'infra_error'; code: string | null; ms: number; reused: boolean; warning?: string | null };

export type RunEventSink = (e: RunEvent) => void;
