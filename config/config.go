// Package config is the one schema of lambdabridge's stack settings, read the same way by
// the Pulumi program (from the Pulumi context) and by cmd/plan (from Pulumi.yaml and
// Pulumi.<stack>.yaml). Keys live under the `lambdabridge:` namespace, except the region,
// which is the AWS provider's `aws:region`.
//
// [Decode] is the only decoder: it applies [Defaults], checks every value's type and syntax
// (and the ranges of the program's own keys) and names the offending key. [LoadStack] and
// [SourceFunc] are the two ways to feed it. [Config.Plan] is the one call from a decoded
// stack to the planner's report; the planner owns the rules of its inputs (memory range,
// known regions, schedule, topology...), and Plan reports a value it refuses as a
// [*KeyError] on the key that set it ([FieldKey] maps a planner field to its key).
package config

// Namespace is the Pulumi project name and therefore the namespace of every key but the region.
const Namespace = "lambdabridge"

// RegionKey is the full key of the AWS region, owned by the AWS provider.
const RegionKey = "aws:region"

// Source yields raw config values by full key ("lambdabridge:schedule", "aws:region").
// A Pulumi context (ctx.GetConfig, through [SourceFunc]) and the stack-file loader both
// satisfy it. Structured values (lists) are JSON text, as Pulumi stores them.
type Source interface {
	Get(key string) (string, bool)
}

// SourceFunc adapts a lookup function to [Source], so the Pulumi program can write
// config.Decode(config.SourceFunc(ctx.GetConfig)).
type SourceFunc func(key string) (string, bool)

// Get calls f(key).
func (f SourceFunc) Get(key string) (string, bool) { return f(key) }

// MapSource is a [Source] over a map of full keys to raw values; handy in tests.
type MapSource map[string]string

// Get returns m[key].
func (m MapSource) Get(key string) (string, bool) {
	v, ok := m[key]
	return v, ok
}

// Config is the decoded stack configuration. Every field has a key in Pulumi.yaml's
// config schema with its type, description and default (config_test checks they agree).
// Build one with [Defaults] or [Decode]; the zero Config is not valid.
type Config struct {
	// Schedule is the EventBridge schedule expression that triggers a fetch
	// (lambdabridge:schedule), e.g. "rate(10 minutes)" or "cron(0 9 ? * MON-FRI *)".
	// Default "rate(10 minutes)".
	Schedule string
	// Region is the AWS region that is priced and deployed to (aws:region). Default "us-east-1".
	Region string
	// PayloadBytes is the measured raw size of one response (lambdabridge:payloadSize, written
	// "279KB", "19KiB", "1MB", "1MiB" or plain bytes). Zero means not measured.
	PayloadBytes int64
	// CompressedBytes is the measured size of that response after the fetcher's codec
	// (lambdabridge:compressedSize, same forms). Zero means not measured.
	CompressedBytes int64
	// FreeTier is the account's free-tier standing (lambdabridge:freeTier): "always-free"
	// (default), "legacy-12-month" or "none".
	FreeTier string
	// CreditsUSD is a credit balance whose duration the report states (lambdabridge:creditsUSD).
	// Default 0: no credits.
	CreditsUSD float64
	// MemoryMB is the memory size of every function (lambdabridge:memoryMB). Default: the
	// planner's default.
	MemoryMB int
	// Architecture is the functions' instruction set (lambdabridge:architecture): "arm64"
	// (default) or "x86_64".
	Architecture string
	// FetchMillis is the expected billed duration of one fetch in milliseconds
	// (lambdabridge:fetchMillis). Default: the planner's default.
	FetchMillis int
	// WriteMillis is the expected billed duration of one database write in milliseconds
	// (lambdabridge:writeMillis). Default: the planner's default.
	WriteMillis int
	// SingleFunction says one invocation must reach both the internet and the database
	// (lambdabridge:singleFunction); only nat-gateway, nat-instance and ipv6 are then valid.
	// Default false.
	SingleFunction bool
	// ExistingNAT says the VPC already pays for a NAT gateway (lambdabridge:existingNat).
	// Default false.
	ExistingNAT bool
	// SourceURL is the third-party HTTP(S) URL the fetcher GETs (lambdabridge:sourceUrl).
	// Empty means not configured yet (planning still works; provisioning needs it).
	SourceURL string
	// SourceHasIPv6 says whether the source host has an AAAA record
	// (lambdabridge:sourceHasIpv6: "true", "false" or "unknown"). Nil means unknown, which
	// rules out the ipv6 topology. Default unknown.
	SourceHasIPv6 *bool
	// Topology is "auto" (default: provision the planner's choice) or a topology name
	// (lambdabridge:topology) that is honoured only if the planner finds it valid.
	Topology string
	// AsOf is the day to plan for, YYYY-MM-DD (lambdabridge:asOf). Empty means today.
	AsOf string
	// PricesFile is a price-book file that overrides the embedded book
	// (lambdabridge:pricesFile). Empty means the embedded book only.
	PricesFile string
	// Spill lets the fetcher spill records too large for the destination to S3
	// (lambdabridge:spill). Default false.
	Spill bool
	// SourceHeaders are the source's secret request headers (lambdabridge:sourceHeaders, a
	// Pulumi secret: a JSON object of header name to value). Infra stores them in an SSM
	// Parameter Store SecureString that the fetching function reads at cold start; the
	// planner prices that. Default none.
	SourceHeaders SourceHeaders

	// VpcID is an existing VPC to deploy into (lambdabridge:vpcId, "vpc-..."). Empty means
	// create a VPC.
	VpcID string
	// SubnetIDs are private subnets of VpcID for the VPC functions and the database
	// (lambdabridge:subnetIds, a list of "subnet-..."; Pulumi stores it as JSON). Required
	// with VpcID, not allowed without it.
	SubnetIDs []string
	// ExistingDBHost is the host name of an existing PostgreSQL database
	// (lambdabridge:existingDbHost). Empty means create an RDS instance.
	ExistingDBHost string
	// ExistingDBSGID is the security group of that database, which gets the 5432 ingress
	// rule from the functions (lambdabridge:existingDbSecurityGroupId, "sg-...").
	// Only allowed with ExistingDBHost.
	ExistingDBSGID string
	// ExistingDBResourceID is the existing RDS database's resource id, its DbiResourceId
	// (lambdabridge:existingDbResourceId, "db-..."): the functions then connect with IAM
	// authentication, holding no password. Only allowed with ExistingDBHost.
	ExistingDBResourceID string
	// DBPasswordInEnvironment allows, for an existing database without a resource id, the
	// writer's password (DBPassword) in the functions' environment
	// (lambdabridge:dbPasswordInEnvironment); the preview warns. Default false: refused.
	DBPasswordInEnvironment bool
	// DBName is the database name (lambdabridge:dbName). Default "lambdabridge".
	DBName string
	// DBUser is the database user the writer connects as with IAM authentication
	// (lambdabridge:dbUser). Default "writer".
	DBUser string
	// DBPassword is the RDS master password (lambdabridge:dbPassword, a Pulumi secret).
	// Empty means the program generates one.
	DBPassword string
	// DeletionProtection turns on RDS deletion protection and Pulumi's protect option on the
	// database instance (lambdabridge:deletionProtection). Default true.
	DeletionProtection bool
	// BackupRetentionDays is how long RDS keeps automated backups, 0-35
	// (lambdabridge:backupRetentionDays). Default 7.
	BackupRetentionDays int
	// NatAMI is the NAT instance's image (lambdabridge:natAmi, "ami-..."). Empty takes the
	// newest Amazon Linux 2023 arm64 image once and keeps it.
	NatAMI string
	// LogRetentionDays is the CloudWatch Logs retention of every function
	// (lambdabridge:logRetentionDays), one of the values CloudWatch accepts. Default 14.
	LogRetentionDays int
	// MaxRetries is the asynchronous invocation retry count, 0-2
	// (lambdabridge:maxRetries). Default 2.
	MaxRetries int
	// MaxEventAgeSeconds is how long Lambda keeps retrying an event, 60-21600
	// (lambdabridge:maxEventAgeSeconds). Default 3600.
	MaxEventAgeSeconds int
	// RecordsKey turns on records mode: the response is a JSON array (or holds one) and each
	// element is upserted keyed by this JSON field (lambdabridge:recordsKey). Empty means
	// store each fetch as one row.
	RecordsKey string
	// RecordsTable is the table records mode writes to (lambdabridge:recordsTable).
	// Default "records".
	RecordsTable string
	// AlarmEmail subscribes an address to the alarm topic (lambdabridge:alarmEmail).
	// Empty means no subscription.
	AlarmEmail string
	// RecordAlarmPercent is the share of the async payload limit at which the record-size
	// alarm fires, 1-100 (lambdabridge:recordAlarmPercent). Default 80.
	RecordAlarmPercent int
	// BudgetFactor sets the monthly AWS budget to the planner's total times this factor,
	// at least 1 (lambdabridge:budgetFactor). Default 1.5.
	BudgetFactor float64
}
