/** ECS sets it in every container: the base URI of the task metadata endpoint v4. */
export const METADATA_URI_ENV = 'ECS_CONTAINER_METADATA_URI_V4';
