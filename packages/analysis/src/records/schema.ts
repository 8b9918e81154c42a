/** Version of the record format (docs/design.md §4). Bumped on any change a consumer could notice. */
export const SCHEMA_VERSION = '1.1.0';
