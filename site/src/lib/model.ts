import type { TargetReport } from '../../../history/vocabulary/report-schema.ts';
import { detailKey, type DetailedResult, type ResultRow, type SiteSnapshot, type SnapshotRun, type Status } from './snapshot.ts';
import { safeSlug } from './paths.ts';
import { classPageCode } from './classes.ts';
import { shownOf, targetShown, type Shown } from './verdict.ts';
import { missingEverywhere } from '../../../history/vocabulary/placeholder.ts';

// The whole site's data in one pass over the snapshot: every page module reads from this model
// and does only per-page work, which keeps a 1,000-artifact build inside its time budget.

export interface LatestCell {
  artifact: string;
  profile_id: string;
  status: Status;
  /** status, with a pass whose attach warned shown as 'warn' */
  shown: Shown;
  classification_code: string | null;
  /** the first attach warning's code of a pass */
  warning_code: string | null;
  version: string;
  run_id: string;
  kernel_release: string;
}

export interface RunTally {
  run_id: string;
  started_at: string;
  version: string;
  /** passes, including those whose attach warned (they load) */
  passed: number;
  /** of the passes, those whose best-effort attach failed */
  warned: number;
  failed: number;
  infra: number;
  reused: number;
}

/**
 * A version whose every kernel (two or more) misses the same attach target: a placeholder its loader replaces at run
 * time (fentry/dummy_file_read), so its cells say "untestable without its attach target", not fail.
 */
export interface PlaceholderTarget {
  program: string;
  name: string;
  kind: string;
  kernels: number;
}

export interface VersionInfo {
  version: string;
  /** set when every kernel of this version misses the same attach target */
  placeholder?: PlaceholderTarget;
  slug: string;
  sha256: string;
  first_seen: string;
  last_seen: string;
  run_ids: string[];
}

export interface ArtifactEntry {
  name: string;
  slug: string;
  /** Oldest first, by the first run that tested the version. */
  versions: VersionInfo[];
  /** Latest verdict per profile (any version), keyed by profile id. */
  latest: Map<string, LatestCell>;
  /** One tally per run that tested this artifact, oldest first. */
  tallies: RunTally[];
}

export interface KernelBuild {
  sha256: string;
  release: string;
  source: Record<string, unknown>;
}

export interface KernelEntry {
  profile_id: string;
  slug: string;
  /** The release of the newest build seen for this profile. */
  release: string;
  builds: KernelBuild[];
  btf: boolean | null;
  accels: string[];
}

export interface RunEntry extends SnapshotRun {
  slug: string;
  artifacts: Map<string, RunTally>;
  profiles: Set<string>;
  results: number;
  reused: number;
}

export interface SiteModel {
  artifacts: ArtifactEntry[];
  artifactByName: Map<string, ArtifactEntry>;
  kernels: KernelEntry[];
  kernelById: Map<string, KernelEntry>;
  runs: RunEntry[];
  runById: Map<string, RunEntry>;
  details: Map<string, DetailedResult>;
  /** Catalogue class code → latest failing or attach-warned cells carrying it (codes outside the catalogue under UNKNOWN). */
  classCells: Map<string, LatestCell[]>;
  generated_at: string;
}

export function buildSiteModel(snapshot: SiteSnapshot, generatedAt: string = new Date().toISOString()): SiteModel {
  const runById = new Map<string, RunEntry>();
  const runOrder = new Map<string, number>();
  snapshot.runs.forEach((r, i) => {
    runOrder.set(r.id, i);
    runById.set(r.id, { ...r, slug: safeSlug(r.id), artifacts: new Map(), profiles: new Set(), results: 0, reused: 0 });
  });

  const artifactByName = new Map<string, ArtifactEntry>();
  const kernelById = new Map<string, KernelEntry>();
  const versionIndex = new Map<string, VersionInfo>();

  for (const row of snapshot.rows) {
    const run = runById.get(row.run_id);
    if (!run) continue; // a result of a run the snapshot did not include: not renderable
    let art = artifactByName.get(row.artifact);
    if (!art) {
      art = { name: row.artifact, slug: safeSlug(row.artifact), versions: [], latest: new Map(), tallies: [] };
      artifactByName.set(row.artifact, art);
    }
    const vkey = `${row.artifact}\u0000${row.version}`;
    let ver = versionIndex.get(vkey);
    if (!ver) {
      ver = { version: row.version, slug: safeSlug(row.version), sha256: row.artifact_sha256, first_seen: run.started_at, last_seen: run.started_at, run_ids: [] };
      versionIndex.set(vkey, ver);
      art.versions.push(ver);
    }
    ver.last_seen = run.started_at;
    if (ver.run_ids[ver.run_ids.length - 1] !== run.id) ver.run_ids.push(run.id);

    // Rows arrive in run order, so the last one seen per cell is the latest verdict.
    art.latest.set(row.profile_id, {
      artifact: row.artifact,
      profile_id: row.profile_id,
      status: row.status,
      shown: shownOf(row.status, row.warning_code),
      classification_code: row.classification_code,
      warning_code: row.warning_code,
      version: row.version,
      run_id: row.run_id,
      kernel_release: row.kernel_release,
    });

    let tally = run.artifacts.get(row.artifact);
    if (!tally) {
      tally = { run_id: run.id, started_at: run.started_at, version: row.version, passed: 0, warned: 0, failed: 0, infra: 0, reused: 0 };
      run.artifacts.set(row.artifact, tally);
      art.tallies.push(tally);
    }
    if (row.status === 'pass') {
      tally.passed++;
      if (row.warning_code) tally.warned++;
    } else if (row.status === 'fail') tally.failed++;
    else tally.infra++;
    if (row.reused) {
      tally.reused++;
      run.reused++;
    }
    run.results++;
    run.profiles.add(row.profile_id);

    let k = kernelById.get(row.profile_id);
    if (!k) {
      k = { profile_id: row.profile_id, slug: safeSlug(row.profile_id), release: row.kernel_release, builds: [], btf: null, accels: [] };
      kernelById.set(row.profile_id, k);
    }
    k.release = row.kernel_release;
    if (!k.builds.some((b) => b.sha256 === row.kernel_sha256)) k.builds.push({ sha256: row.kernel_sha256, release: row.kernel_release, source: {} });
  }

  const details = new Map<string, DetailedResult>();
  for (const d of snapshot.details) {
    details.set(detailKey(d.artifact, d.version, d.target.profile_id), d);
    enrichKernel(kernelById.get(d.target.profile_id), d.target);
  }

  const classCells = new Map<string, LatestCell[]>();
  const artifacts = [...artifactByName.values()].sort((a, b) => a.name.localeCompare(b.name));
  const kernelIds = [...kernelById.keys()];
  for (const art of artifacts) {
    art.tallies.sort((a, b) => (runOrder.get(a.run_id) ?? 0) - (runOrder.get(b.run_id) ?? 0));
    for (const v of art.versions) {
      const targets = kernelIds.flatMap((id) => details.get(detailKey(art.name, v.version, id))?.target ?? []);
      const placeholder = placeholderOf(targets);
      if (placeholder) v.placeholder = placeholder;
    }
    for (const cell of art.latest.values()) {
      if (cell.status === 'fail' && art.versions.find((v) => v.version === cell.version)?.placeholder) cell.shown = 'untestable';
    }
    for (const cell of art.latest.values()) {
      if (cell.shown === 'pass') continue;
      // Unknown codes are user data: they are filed under UNKNOWN and never reach a URL.
      const code = classPageCode(cell.shown === 'warn' ? cell.warning_code! : (cell.classification_code ?? (cell.status === 'infra_error' ? 'INFRA_ERROR' : 'UNKNOWN')));
      let list = classCells.get(code);
      if (!list) classCells.set(code, (list = []));
      list.push(cell);
    }
  }

  const kernels = [...kernelById.values()].sort((a, b) => a.profile_id.localeCompare(b.profile_id, 'en', { numeric: true }));
  return { artifacts, artifactByName, kernels, kernelById, runs: [...runById.values()], runById, details, classCells, generated_at: generatedAt };
}

/** The attach target every one of these targets (two or more) fails on, the same name everywhere; else undefined. */
export function placeholderOf(targets: TargetReport[]): PlaceholderTarget | undefined {
  const missing = missingEverywhere(targets.map((t) => (t.status === 'fail' && t.classification_code === 'ATTACH_TARGET_MISSING' ? t.root_cause : null)));
  return missing && { program: missing.program ?? '', name: missing.name, kind: missing.kind, kernels: missing.kernels };
}

/** How one target of one version is shown: untestable when that version's attach target is a placeholder. */
export function versionShown(v: VersionInfo | undefined, t: TargetReport): Shown {
  return v?.placeholder && t.status === 'fail' ? 'untestable' : targetShown(t);
}

function enrichKernel(k: KernelEntry | undefined, t: TargetReport): void {
  if (!k) return;
  const build = k.builds.find((b) => b.sha256 === t.kernel.sha256);
  if (build && Object.keys(build.source).length === 0) build.source = t.kernel.source;
  if (t.status !== 'infra_error') k.btf = t.btf.kernel_btf_available;
  if (!k.accels.includes(t.vm.accel)) k.accels.push(t.vm.accel);
}

/** The latest detailed result of one artifact version on one profile, when the snapshot holds it. */
export function detailFor(model: SiteModel, artifact: string, version: string, profile: string): DetailedResult | undefined {
  return model.details.get(detailKey(artifact, version, profile));
}

export type { ResultRow };
