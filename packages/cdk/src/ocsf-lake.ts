import { Aws, Duration, Names, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as athena from 'aws-cdk-lib/aws-athena';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { acknowledgeNag } from './private/nag.js';
import { type OcsfTableSpec, ocsfCatalog } from './private/ocsf-catalog.js';
import { mismatches, validateAll } from './private/validate.js';
import { SecurityLakeCustomSources } from './security-lake-sources.js';

/** How the lake bucket encrypts objects at rest (Athena query results follow the same choice). */
export enum OcsfLakeEncryption {
  /** SSE-S3: S3-managed keys; readers need only S3 permissions. */
  S3_MANAGED = 'S3_MANAGED',
  /** SSE-KMS with a customer managed key (`encryptionKey`, else one defined here, rotated yearly). */
  KMS = 'KMS',
}

/** Where receivers deliver OCSF Parquet files and pcap files, as the fleet's receiver config needs it. */
export interface IOcsfLake {
  /** The bucket holding `<prefix>ocsf/...` (Parquet) and `<prefix>pcap/...` objects. */
  readonly bucket: s3.IBucket;
  /** The key prefix of every object the receivers write: empty or ending in `/`. */
  readonly objectKeyPrefix: string;
  /**
   * With Security Lake registration: per OCSF class folder, the custom source's provider location,
   * provider role and external id (deploy-time values), which the receivers' config delivers to.
   */
  readonly securityLakeDestinations?: Readonly<Record<string, SecurityLakeDestination>>;
  /**
   * Lets `grantee` upload (PutObject, multipart upload and its abort; GetObject for HeadObject) under
   * the two receiver prefixes only, and use the bucket's KMS key for that (GenerateDataKey, Decrypt for multipart); with
   * Security Lake registration also sts:AssumeRole on exactly the custom sources' provider roles.
   */
  grantWriteRecords(grantee: iam.IGrantable): iam.Grant;
}

/** Where a Security Lake custom source takes a class's objects, and the role that may write there. */
export interface SecurityLakeDestination {
  /** `s3://aws-security-data-lake-<region>-<id>/ext/<source>/…` */
  readonly location: string;
  readonly roleArn: string;
  readonly externalId: string;
}

export interface OcsfLakeProps {
  /**
   * The key prefix of everything in the bucket (records, pcap, Athena results): empty, or segments of
   * letters, digits, `.`, `_`, `-` each ending in `/` (e.g. `fargate-mirror/`).
   * @default '' (the bucket root)
   */
  readonly objectKeyPrefix?: string;
  /**
   * Encryption at rest of the objects and of Athena's query results.
   * @default OcsfLakeEncryption.S3_MANAGED
   */
  readonly encryption?: OcsfLakeEncryption;
  /**
   * The KMS key with `encryption: KMS`.
   * @default - a key defined here, with yearly rotation (only with `encryption: KMS`)
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * How long pcap objects (`<prefix>pcap/`) are kept: raw payload, the most sensitive and bulkiest.
   * @default Duration.days(30)
   */
  readonly pcapExpiration?: Duration;
  /**
   * How long OCSF Parquet objects (`<prefix>ocsf/`) are kept; the Glue tables' `eventDay` projection
   * covers the same span.
   * @default Duration.days(365)
   */
  readonly recordsExpiration?: Duration;
  /**
   * When OCSF Parquet objects move to S3 Standard-IA (at least 30 days, S3's minimum, and before
   * `recordsExpiration`).
   * @default Duration.days(30)
   */
  readonly recordsInfrequentAccessAfter?: Duration;
  /**
   * How long Athena query results (`<prefix>athena-results/`) are kept.
   * @default Duration.days(7)
   */
  readonly queryResultsExpiration?: Duration;
  /**
   * The Glue database of the three class tables (`network_activity`, `http_activity`, `dns_activity`):
   * lower-case letters, digits and `_`.
   * @default - a name unique to this construct, e.g. `fargatemirrorexample_lake_1a2b3c4d`
   */
  readonly databaseName?: string;
  /**
   * The Athena workgroup holding the named queries (its settings are enforced on every query).
   * @default - a name unique to this construct
   */
  readonly workGroupName?: string;
  /**
   * The most bytes one Athena query of the workgroup may scan (at least 10 MB, Athena's minimum).
   * @default - no limit
   */
  readonly bytesScannedCutoffPerQuery?: number;
  /**
   * The `region=` values partition projection enumerates (the regions whose records share the bucket).
   * @default - this stack's region
   */
  readonly partitionRegions?: readonly string[];
  /**
   * The `accountId=` values partition projection enumerates (the accounts whose records share the bucket).
   * @default - this stack's account
   */
  readonly partitionAccountIds?: readonly string[];
  /**
   * Where S3 server access logs of the lake bucket go.
   * @default - a log bucket defined here (S3-managed encryption, TLS only, 90 days)
   */
  readonly serverAccessLogsBucket?: s3.IBucket;
  /**
   * Registers each OCSF class as an Amazon Security Lake custom source (CreateCustomLogSource, one
   * source per class as Security Lake asks). The account's Security Lake must already be enabled in
   * the stack's region; see README.md for what is registered and what it does not copy.
   * @default false
   */
  readonly securityLakeCustomSources?: boolean;
  /**
   * The source names' prefix: each class's source is `<prefix>-net`, `<prefix>-http`, `<prefix>-dns`
   * (Security Lake allows 20 characters).
   * @default 'fargate-mirror'
   */
  readonly securityLakeSourceNamePrefix?: string;
  /**
   * The external id the Security Lake provider role demands of whoever assumes it to write.
   * @default - a value unique to this construct
   */
  readonly securityLakeExternalId?: string;
  /**
   * What happens to the bucket (and its objects) when the stack is deleted.
   * @default RemovalPolicy.RETAIN (records outlive a redeployment)
   */
  readonly removalPolicy?: RemovalPolicy;
}

/** The three folders of the bucket, each under `objectKeyPrefix`. */
const RECORDS_FOLDER = 'ocsf/';
const PCAP_FOLDER = 'pcap/';
const RESULTS_FOLDER = 'athena-results/';

/** The partition columns, in the receivers' folder order; Glue keeps column names in lower case. */
export const OCSF_PARTITION_KEYS = [
  { column: 'region', folder: 'region' },
  { column: 'accountid', folder: 'accountId' },
  { column: 'eventday', folder: 'eventDay' },
] as const;

const PREFIX_PATTERN = /^([A-Za-z0-9._-]+\/)*$/;
const DATABASE_PATTERN = /^[a-z0-9_]{1,255}$/;

/**
 * The shared store of a receiver fleet: one bucket for OCSF Parquet records and pcap files
 * (encrypted, TLS only, public access blocked, lifecycle per folder), a Glue database with one table
 * per OCSF class over the `region=/accountId=/eventDay=` partitions (partition projection: no
 * crawler, no `MSCK REPAIR`), an Athena workgroup with enforced, encrypted results and the named
 * queries of @fargate-mirror/ocsf, and optionally the Security Lake custom sources.
 */
export class OcsfLake extends Construct implements IOcsfLake {
  readonly bucket: s3.Bucket;
  readonly objectKeyPrefix: string;
  /** The KMS key (with `encryption: KMS`). */
  readonly encryptionKey: kms.IKey | undefined;
  readonly databaseName: string;
  readonly workGroupName: string;
  /** The class tables by name (`network_activity`, `http_activity`, `dns_activity`). */
  readonly tables: Readonly<Record<string, glue.CfnTable>>;
  readonly namedQueries: readonly athena.CfnNamedQuery[];
  /** The Security Lake registration (with `securityLakeCustomSources`). */
  readonly securityLakeSources: SecurityLakeCustomSources | undefined;
  readonly securityLakeDestinations: Readonly<Record<string, SecurityLakeDestination>> | undefined;

  constructor(scope: Construct, id: string, props: OcsfLakeProps = {}) {
    super(scope, id);
    const prefix = props.objectKeyPrefix ?? '';
    const encryption = props.encryption ?? OcsfLakeEncryption.S3_MANAGED;
    const pcapDays = (props.pcapExpiration ?? Duration.days(30)).toDays();
    const recordsDays = (props.recordsExpiration ?? Duration.days(365)).toDays();
    const iaDays = (props.recordsInfrequentAccessAfter ?? Duration.days(30)).toDays();
    const resultsDays = (props.queryResultsExpiration ?? Duration.days(7)).toDays();
    const databaseName = props.databaseName ?? defaultDatabaseName(this);
    const cutoff = props.bytesScannedCutoffPerQuery;
    const sourcePrefix = props.securityLakeSourceNamePrefix ?? 'fargate-mirror';
    validateAll(this, [
      {
        failed: mismatches(prefix, PREFIX_PATTERN),
        message: `objectKeyPrefix: must be empty or segments of letters, digits, '.', '_', '-' each ending in '/', but '${prefix}' was given`,
      },
      {
        failed: props.encryptionKey !== undefined && encryption !== OcsfLakeEncryption.KMS,
        message: `encryptionKey: given with encryption ${encryption}; set encryption: OcsfLakeEncryption.KMS to use it`,
      },
      {
        failed: !Object.values(OcsfLakeEncryption).includes(encryption),
        message: `encryption: must be one of ${Object.values(OcsfLakeEncryption).join(', ')}, but ${String(encryption)} was given`,
      },
      {
        failed: !Token.isUnresolved(pcapDays) && pcapDays < 1,
        message: `pcapExpiration: must be at least 1 day, but ${pcapDays} days was given`,
      },
      {
        failed: !Token.isUnresolved(iaDays) && iaDays < 30,
        message: `recordsInfrequentAccessAfter: must be at least 30 days (S3 Standard-IA's minimum), but ${iaDays} days was given`,
      },
      {
        failed: !Token.isUnresolved(recordsDays) && recordsDays <= iaDays,
        message: `recordsExpiration: must be longer than recordsInfrequentAccessAfter (${iaDays} days), but ${recordsDays} days was given`,
      },
      {
        failed: !Token.isUnresolved(resultsDays) && resultsDays < 1,
        message: `queryResultsExpiration: must be at least 1 day, but ${resultsDays} days was given`,
      },
      {
        failed: mismatches(databaseName, DATABASE_PATTERN),
        message: `databaseName: must be 1-255 lower-case letters, digits and '_', but '${databaseName}' was given`,
      },
      {
        failed: cutoff !== undefined && !Token.isUnresolved(cutoff) && cutoff < 10_000_000,
        message: `bytesScannedCutoffPerQuery: must be at least 10000000 (Athena's minimum), but ${cutoff} was given`,
      },
      {
        failed: props.securityLakeCustomSources === true && mismatches(sourcePrefix, /^[A-Za-z0-9_-]{1,15}$/),
        message: `securityLakeSourceNamePrefix: must be 1-15 letters, digits, '_' or '-' (the source names add up to 5 characters; Security Lake allows 20), but '${sourcePrefix}' was given`,
      },
    ]);
    this.objectKeyPrefix = prefix;
    this.databaseName = databaseName;

    this.encryptionKey =
      encryption === OcsfLakeEncryption.KMS
        ? (props.encryptionKey ??
          new kms.Key(this, 'Key', {
            description: 'fargate-mirror lake: OCSF records, pcap and Athena results',
            enableKeyRotation: true,
          }))
        : undefined;
    const accessLogs = props.serverAccessLogsBucket ?? this.#accessLogsBucket();
    this.bucket = new s3.Bucket(this, 'Bucket', {
      encryption: this.encryptionKey !== undefined ? s3.BucketEncryption.KMS : s3.BucketEncryption.S3_MANAGED,
      ...(this.encryptionKey !== undefined
        ? { encryptionKey: this.encryptionKey, bucketKeyEnabled: true }
        : {}),
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: 'lake/',
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
      lifecycleRules: [
        { id: 'Pcap', prefix: `${prefix}${PCAP_FOLDER}`, expiration: Duration.days(pcapDays) },
        {
          id: 'Records',
          prefix: `${prefix}${RECORDS_FOLDER}`,
          expiration: Duration.days(recordsDays),
          transitions: [
            { storageClass: s3.StorageClass.INFREQUENT_ACCESS, transitionAfter: Duration.days(iaDays) },
          ],
        },
        { id: 'QueryResults', prefix: `${prefix}${RESULTS_FOLDER}`, expiration: Duration.days(resultsDays) },
        // a receiver stopped mid-upload leaves parts that cost storage until aborted.
        { id: 'IncompleteUploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
    });

    const catalog = ocsfCatalog();
    const database = new glue.CfnDatabase(this, 'Database', {
      catalogId: Aws.ACCOUNT_ID,
      databaseInput: {
        name: databaseName,
        description: `fargate-mirror OCSF ${catalog.ocsfVersion} records (Parquet, partitioned region/accountId/eventDay)`,
      },
    });
    const regions = props.partitionRegions ?? [Stack.of(this).region];
    const accounts = props.partitionAccountIds ?? [Stack.of(this).account];
    const tables: Record<string, glue.CfnTable> = {};
    for (const spec of catalog.tables) {
      const table = this.#table(spec, databaseName, regions, accounts, recordsDays);
      table.node.addDependency(database);
      tables[spec.name] = table;
    }
    this.tables = tables;

    this.workGroupName = props.workGroupName ?? Names.uniqueResourceName(this, { maxLength: 128 });
    const workGroup = new athena.CfnWorkGroup(this, 'WorkGroup', {
      name: this.workGroupName,
      description: 'fargate-mirror: queries over the OCSF records',
      recursiveDeleteOption: true,
      workGroupConfiguration: {
        enforceWorkGroupConfiguration: true,
        publishCloudWatchMetricsEnabled: true,
        ...(cutoff !== undefined ? { bytesScannedCutoffPerQuery: cutoff } : {}),
        resultConfiguration: {
          outputLocation: this.bucket.s3UrlForObject(`${prefix}${RESULTS_FOLDER}`),
          encryptionConfiguration:
            this.encryptionKey !== undefined
              ? { encryptionOption: 'SSE_KMS', kmsKey: this.encryptionKey.keyArn }
              : { encryptionOption: 'SSE_S3' },
        },
      },
    });
    this.namedQueries = catalog.namedQueries.map((q) => {
      const query = new athena.CfnNamedQuery(this, `Query-${q.name}`, {
        name: q.name,
        description: q.description,
        database: databaseName,
        workGroup: workGroup.ref,
        queryString: q.sql,
      });
      query.node.addDependency(database);
      return query;
    });

    this.securityLakeSources =
      props.securityLakeCustomSources === true
        ? new SecurityLakeCustomSources(this, 'SecurityLake', {
            sourceNamePrefix: sourcePrefix,
            externalId: props.securityLakeExternalId ?? Names.uniqueId(this),
            classes: catalog.tables.map((t) => t.name),
          })
        : undefined;
    this.securityLakeDestinations = this.securityLakeSources?.destinations();
  }

  grantWriteRecords(grantee: iam.IGrantable): iam.Grant {
    const grant = iam.Grant.addToPrincipalOrResource({
      grantee,
      // PutObject covers CreateMultipartUpload, UploadPart and CompleteMultipartUpload. GetObject is
      // HeadObject's permission: a conditional write refused (412, sent before a restart) is checked
      // against the object there before the local file is removed.
      actions: ['s3:PutObject', 's3:AbortMultipartUpload', 's3:GetObject'],
      resourceArns: [
        this.bucket.arnForObjects(`${this.objectKeyPrefix}${RECORDS_FOLDER}*`),
        this.bucket.arnForObjects(`${this.objectKeyPrefix}${PCAP_FOLDER}*`),
      ],
      resource: this.bucket,
    });
    // Multipart uploads under SSE-KMS decrypt the data key of each part to complete the upload.
    this.encryptionKey?.grant(grantee, 'kms:GenerateDataKey', 'kms:Decrypt');
    // Security Lake's bucket is written with the provider roles' sessions, not the grantee's own.
    this.securityLakeSources?.grantAssumeProviderRoles(grantee);
    const principal = grantee.grantPrincipal;
    if (principal instanceof Construct && Stack.of(principal) === Stack.of(this)) {
      const bucketArn = `<${Stack.of(this).resolve(Stack.of(this).getLogicalId(this.bucket.node.defaultChild as s3.CfnBucket))}.Arn>`;
      acknowledgeNag(
        principal,
        [RECORDS_FOLDER, PCAP_FOLDER].map((folder) => [
          `IAM5[Resource::${bucketArn}/${this.objectKeyPrefix}${folder}*]`,
          `uploads of receiver files, whose names are only known when written, under the lake's ${folder} prefix only (PutObject, AbortMultipartUpload, and GetObject for HeadObject of an object a conditional write found there)`,
        ]),
      );
    }
    return grant;
  }

  /**
   * The S3 location template of a class's partitions, in the receivers' layout
   * (`<prefix>ocsf/<class>/region=…/accountId=…/eventDay=YYYYMMDD/`, the ocsf package's partitionPath).
   */
  locationTemplate(className: string): string {
    const folders = OCSF_PARTITION_KEYS.map((k) => `${k.folder}=\${${k.column}}`).join('/');
    return `${this.#classLocation(className)}${folders}/`;
  }

  #classLocation(className: string): string {
    return this.bucket.s3UrlForObject(`${this.objectKeyPrefix}${RECORDS_FOLDER}${className}/`);
  }

  #table(
    spec: OcsfTableSpec,
    databaseName: string,
    regions: readonly string[],
    accounts: readonly string[],
    recordsDays: number,
  ): glue.CfnTable {
    return new glue.CfnTable(this, `Table-${spec.name}`, {
      catalogId: Aws.ACCOUNT_ID,
      databaseName,
      tableInput: {
        name: spec.name,
        description: `OCSF ${spec.className} (${spec.classUid}) events written by fargate-mirror receivers`,
        tableType: 'EXTERNAL_TABLE',
        parameters: {
          classification: 'parquet',
          EXTERNAL: 'TRUE',
          'parquet.compression': 'ZSTD',
          // Partition projection: Athena computes the partitions from these rules, so new days and
          // accounts need no crawler and no MSCK REPAIR TABLE.
          'projection.enabled': 'true',
          'projection.region.type': 'enum',
          'projection.region.values': regions.join(','),
          'projection.accountid.type': 'enum',
          'projection.accountid.values': accounts.join(','),
          'projection.eventday.type': 'date',
          'projection.eventday.format': 'yyyyMMdd',
          'projection.eventday.range': `NOW-${recordsDays}DAYS,NOW+1DAYS`,
          'projection.eventday.interval': '1',
          'projection.eventday.interval.unit': 'DAYS',
          'storage.location.template': this.locationTemplate(spec.name),
        },
        partitionKeys: OCSF_PARTITION_KEYS.map((k) => ({ name: k.column, type: 'string' })),
        storageDescriptor: {
          location: this.#classLocation(spec.name),
          inputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
          outputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
          serdeInfo: { serializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe' },
          columns: spec.columns.map((c) => ({ name: c.name, type: c.type })),
        },
      },
    });
  }

  #accessLogsBucket(): s3.Bucket {
    const logs = new s3.Bucket(this, 'AccessLogs', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      // object ownership is left to aws-cdk-lib: log delivery uses the bucket ACL unless the app sets
      // @aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy.
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [{ id: 'AccessLogs', expiration: Duration.days(90) }],
    });
    acknowledgeNag(logs, [
      ['S1', 'this is the server access log bucket of the lake; it does not log itself'],
    ]);
    return logs;
  }
}

/** A Glue database name unique to the construct: lower case, `_` for separators. */
function defaultDatabaseName(scope: Construct): string {
  return Names.uniqueResourceName(scope, { maxLength: 64, separator: '_' })
    .toLowerCase()
    .replace(/[^a-z0-9_]/g, '_');
}
