/** Docker's default capabilities (moby oci/caps/defaults.go), the set Fargate containers get. */
export const DOCKER_DEFAULT_CAPS = [
  'chown',
  'dac_override',
  'fowner',
  'fsetid',
  'kill',
  'setgid',
  'setuid',
  'setpcap',
  'net_bind_service',
  'net_raw',
  'sys_chroot',
  'mknod',
  'audit_write',
  'setfcap',
];
