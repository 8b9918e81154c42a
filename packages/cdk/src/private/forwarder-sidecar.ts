// The forwarder's container definition, the one source of truth for the sidecar (packages/forwarder).
// The package's build inlines it into dist/private/forwarder-sidecar.js (scripts/bundle-assets.mjs),
// so an installed @fargate-mirror/cdk does not depend on @fargate-mirror/forwarder.
export {
  SIDECAR_CONTAINER_NAME,
  SIDECAR_DEFAULTS,
  type SidecarContainerDefinition,
  sidecarContainerDefinition,
} from '@fargate-mirror/forwarder';
