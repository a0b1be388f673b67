// The modules the guest loads for attach tests. The kernel catalog reads this list too: a distribution that
// splits its modules (Ubuntu's linux-modules-extra-*) is asked for the extra package only when one of these
// lives there.

export interface WantedModule {
  name: string;
  /** Kconfig symbol: =y means built in, nothing to stage. */
  config: string;
}

/** What the attach tests need: tc clsact (sch_ingress) with cls_bpf, and veth/dummy devices to attach to. */
export const ATTACH_MODULES: readonly WantedModule[] = [
  { name: 'sch_ingress', config: 'CONFIG_NET_SCH_INGRESS' },
  { name: 'cls_bpf', config: 'CONFIG_NET_CLS_BPF' },
  { name: 'veth', config: 'CONFIG_VETH' },
  { name: 'dummy', config: 'CONFIG_DUMMY' },
];

