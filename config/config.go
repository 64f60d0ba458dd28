// Package config is the one schema of lambdabridge's stack settings, read the same way by
// the Pulumi program (from the Pulumi context) and by cmd/plan (from Pulumi.yaml and
// Pulumi.<stack>.yaml). Keys live under the `lambdabridge:` namespace, except the region,
// which is the AWS provider's `aws:region`.
package config

// Source yields raw config values by full key ("lambdabridge:schedule", "aws:region").
// A Pulumi context (ctx.GetConfig) and the stack-file loader both satisfy it.
type Source interface {
	Get(key string) (string, bool)
}

// Config is the decoded stack configuration. Every field has a key in Pulumi.yaml's
// config schema with its type, description and default (config_test checks they agree).
type Config struct {
	// Planner keys.
	Schedule        string  // lambdabridge:schedule, default "rate(10 minutes)"
	Region          string  // aws:region, default "us-east-1"
	PayloadBytes    int64   // lambdabridge:payloadSize ("279KB", "1MiB", plain bytes)
	CompressedBytes int64   // lambdabridge:compressedSize
	FreeTier        string  // lambdabridge:freeTier, default "always-free"
	CreditsUSD      float64 // lambdabridge:creditsUSD, default 0
	MemoryMB        int     // lambdabridge:memoryMB, default 128
	Architecture    string  // lambdabridge:architecture, default "arm64"
	FetchMillis     int     // lambdabridge:fetchMillis
	WriteMillis     int     // lambdabridge:writeMillis
	SingleFunction  bool    // lambdabridge:singleFunction
	ExistingNAT     bool    // lambdabridge:existingNat
	SourceURL       string  // lambdabridge:sourceUrl
	SourceHasIPv6   *bool   // lambdabridge:sourceHasIpv6 (unset = unknown)
	Topology        string  // lambdabridge:topology, default "auto"
	AsOf            string  // lambdabridge:asOf (YYYY-MM-DD, empty = today)
	PricesFile      string  // lambdabridge:pricesFile (override the embedded book)
	Spill           bool    // lambdabridge:spill (destination mode spills oversized records to S3)

	// Program keys.
	VpcID              string   // lambdabridge:vpcId (empty = create a VPC)
	SubnetIDs          []string // lambdabridge:subnetIds (JSON list; required with vpcId)
	ExistingDBHost     string   // lambdabridge:existingDbHost (empty = create RDS)
	ExistingDBSGID     string   // lambdabridge:existingDbSecurityGroupId
	DBName             string   // lambdabridge:dbName, default "lambdabridge"
	DBUser             string   // lambdabridge:dbUser, default "writer" (IAM auth user)
	DBPassword         string   // lambdabridge:dbPassword (secret; generated when absent)
	LogRetentionDays   int      // lambdabridge:logRetentionDays, default 14
	MaxRetries         int      // lambdabridge:maxRetries, default 2 (0-2)
	MaxEventAgeSeconds int      // lambdabridge:maxEventAgeSeconds, default 3600 (60-21600)
	RecordsKey         string   // lambdabridge:recordsKey (records mode: JSON field keying each array element)
	RecordsTable       string   // lambdabridge:recordsTable, default "records"
	AlarmEmail         string   // lambdabridge:alarmEmail (optional SNS email subscription)
	RecordAlarmPercent int      // lambdabridge:recordAlarmPercent, default 80
	BudgetFactor       float64  // lambdabridge:budgetFactor, default 1.5
}
