/** Version of the record format (DESIGN.md §4). Bumped on any change a consumer could notice. */
export const SCHEMA_VERSION = '1.0.0';
