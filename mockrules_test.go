package main

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// The mock provider's rules: what AWS (or the pulumi-aws v6.83 provider, i.e.
// terraform-provider-aws v5.x, before it calls AWS) refuses, for the properties this program
// sets on every resource type in its graph. mocks.NewResource checks each registration
// against them and fails it the way `pulumi up` would, so a test fails where a real deploy
// would. Pulumi's mocks skip the provider's Check entirely (no validation, no defaults, no
// autonaming: pulumi/pulumi sdk/go/pulumi/mocks.go), so the mock does all three here. The
// table is written by hand from the cited documents (provider paths are those of
// hashicorp/terraform-provider-aws v5.x; AWS pages are the API references), independently of
// the constants the program builds names with; extend it with every new resource type or
// property (TestMockRulesCoverTheGraph fails on a type without rules).

// propRule is one rule on one input property.
type propRule struct {
	// prop is the property's path: "name", or "environment.variables" (object keys walk).
	prop string
	// check returns what is wrong with the value, or nil. It is called only when the
	// property is set and known.
	check func(v resource.PropertyValue) error
	// source is where the rule is stated.
	source string
}

// autoname is the rule for the name the provider generates when the program sets none:
// Pulumi auto-names a resource from its logical name and 7 random hex characters, so the
// logical name must leave room for them within the limit.
type autoname struct {
	prop   string
	build  func(logical string) string
	check  func(name string) error
	source string
}

const (
	docLambdaCreate     = "https://docs.aws.amazon.com/lambda/latest/api/API_CreateFunction.html"
	docLambdaEnv        = "https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html (total size of all environment variables: 4 KB)"
	docLambdaEventCfg   = "https://docs.aws.amazon.com/lambda/latest/api/API_PutFunctionEventInvokeConfig.html"
	docLambdaPermission = "https://docs.aws.amazon.com/lambda/latest/api/API_AddPermission.html"
	docLambdaDest       = "https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html (SQS, SNS, S3 on failure only, Lambda, EventBridge; API_PutFunctionEventInvokeConfig: \"S3 buckets are supported only for on-failure destinations\")"
	docLogGroup         = "https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_CreateLogGroup.html"
	docLogRetention     = "https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutRetentionPolicy.html"
	docSQSCreate        = "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_CreateQueue.html"
	docSQSMaxSizeV6     = "terraform-provider-aws v5.x internal/service/sqs/queue.go max_message_size IntBetween(1024, 262_144); 1 MiB only from v6.8.0 (PR #43710), i.e. pulumi-aws v7"
	docSNSTopic         = "https://docs.aws.amazon.com/sns/latest/api/API_CreateTopic.html"
	docSNSSubscribe     = "https://docs.aws.amazon.com/sns/latest/api/API_Subscribe.html"
	docAlarm            = "https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html"
	docBudget           = "https://docs.aws.amazon.com/aws-cost-management/latest/APIReference/API_budgets_Budget.html"
	docRDSCreate        = "https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstance.html"
	docRDSDelete        = "https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DeleteDBInstance.html"
	docRDSSubnetGroup   = "https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBSubnetGroup.html"
	docIAMRole          = "https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html"
	docIAMPutPolicy     = "https://docs.aws.amazon.com/IAM/latest/APIReference/API_PutRolePolicy.html"
	docIAMQuotas        = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html (inline role policy size: 10,240 characters)"
	docS3Naming         = "https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html"
	docS3Lifecycle      = "https://docs.aws.amazon.com/AmazonS3/latest/API/API_LifecycleRule.html"
	docS3Events         = "https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-how-to-event-types-and-destinations.html"
	docS3SSE            = "https://docs.aws.amazon.com/AmazonS3/latest/API/API_ServerSideEncryptionByDefault.html"
	docScheduler        = "https://docs.aws.amazon.com/scheduler/latest/APIReference/API_CreateSchedule.html"
	docSchedulerRetry   = "https://docs.aws.amazon.com/scheduler/latest/APIReference/API_RetryPolicy.html"
	docSchedulerTarget  = "https://docs.aws.amazon.com/scheduler/latest/APIReference/API_Target.html"
	docSecurityGroup    = "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateSecurityGroup.html"
	docSGRule           = "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_IpPermission.html"
	docEC2Volume        = "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_EbsBlockDevice.html"
	docEC2UserData      = "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_RunInstances.html (UserData: 16 KB)"
	docVPCCidr          = "https://docs.aws.amazon.com/vpc/latest/userguide/vpc-cidr-blocks.html (IPv4 /16 to /28)"
	docSubnetCidr       = "https://docs.aws.amazon.com/vpc/latest/userguide/subnet-sizing.html (IPv4 /16 to /28, IPv6 /64)"
	docTags             = "https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/Using_Tags.html (EC2 tag key 1-127, value 0-256 characters, no aws: prefix)"
	docVPCEndpoint      = "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateVpcEndpoint.html"
	docEIP              = "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_AllocateAddress.html"
	docSSMPut           = "https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_PutParameter.html"
	docSSMNames         = "https://docs.aws.amazon.com/systems-manager/latest/userguide/sysman-paramstore-su-create.html (naming: a-zA-Z0-9_.-/, no aws or ssm prefix, at most 15 levels)"
	docPulumiAutoname   = "pulumi-terraform-bridge pkg/tfbridge AutoName (Randlen 7, separator '-'; pulumi sdk resource_id.go NewUniqueName charset 0-9a-f)"
	tfLambda            = "terraform-provider-aws internal/service/lambda/function.go"
	tfLambdaInvocation  = "terraform-provider-aws internal/service/lambda/invocation.go"
	docLambdaInvoke     = "https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html"
	tfSQS               = "terraform-provider-aws internal/service/sqs/queue.go"
	tfRDS               = "terraform-provider-aws internal/service/rds"
)

// Rule builders.

func str(v resource.PropertyValue) (string, bool) {
	if v.IsSecret() {
		v = v.SecretValue().Element
	}
	if !v.IsString() {
		return "", false
	}
	return v.StringValue(), true
}

func num(v resource.PropertyValue) (float64, bool) {
	if v.IsSecret() {
		v = v.SecretValue().Element
	}
	if !v.IsNumber() {
		return 0, false
	}
	return v.NumberValue(), true
}

// pattern: a string of minLen-maxLen characters matching re.
func pattern(re string, minLen, maxLen int) func(resource.PropertyValue) error {
	rx := regexp.MustCompile(re)
	return func(v resource.PropertyValue) error {
		s, ok := str(v)
		if !ok {
			return fmt.Errorf("not a string: %v", v)
		}
		return checkString(s, rx, minLen, maxLen)
	}
}

func checkString(s string, rx *regexp.Regexp, minLen, maxLen int) error {
	if len(s) < minLen || len(s) > maxLen {
		return fmt.Errorf("%q has %d characters, want %d-%d", s, len(s), minLen, maxLen)
	}
	if !rx.MatchString(s) {
		return fmt.Errorf("%q does not match %s", s, rx)
	}
	return nil
}

// between: a number in [lo, hi].
func between(lo, hi float64) func(resource.PropertyValue) error {
	return func(v resource.PropertyValue) error {
		n, ok := num(v)
		if !ok {
			return fmt.Errorf("not a number: %v", v)
		}
		if n < lo || n > hi {
			return fmt.Errorf("%v is outside %v-%v", n, lo, hi)
		}
		return nil
	}
}

// oneOf: a string in the list, or a number in it (written as a string).
func oneOf(allowed ...string) func(resource.PropertyValue) error {
	return func(v resource.PropertyValue) error {
		s, ok := str(v)
		if !ok {
			if n, isNum := num(v); isNum {
				s, ok = fmt.Sprint(n), true
			}
		}
		if !ok || !slices.Contains(allowed, s) {
			return fmt.Errorf("%v is not one of %s", v, strings.Join(allowed, ", "))
		}
		return nil
	}
}

// each: every element of an array passes check.
func each(check func(resource.PropertyValue) error) func(resource.PropertyValue) error {
	return func(v resource.PropertyValue) error {
		if !v.IsArray() {
			return fmt.Errorf("not a list: %v", v)
		}
		for i, e := range v.ArrayValue() {
			if e.IsComputed() || e.IsOutput() {
				continue
			}
			if err := check(e); err != nil {
				return fmt.Errorf("[%d]: %w", i, err)
			}
		}
		return nil
	}
}

// cidr: an IPv4 (or IPv6) prefix with bits in [lo, hi].
func cidr(v6 bool, lo, hi int) func(resource.PropertyValue) error {
	return func(v resource.PropertyValue) error {
		s, ok := str(v)
		if !ok {
			return fmt.Errorf("not a string: %v", v)
		}
		p, err := netip.ParsePrefix(s)
		if err != nil || p.Addr().Is6() != v6 || p.Bits() < lo || p.Bits() > hi || p.Masked() != p {
			return fmt.Errorf("%q is not an %s network of /%d to /%d", s, map[bool]string{false: "IPv4", true: "IPv6"}[v6], lo, hi)
		}
		return nil
	}
}

// jsonLen: a JSON document of at most max characters, whitespace excluded (IAM counts so).
func jsonLen(max int) func(resource.PropertyValue) error {
	return func(v resource.PropertyValue) error {
		s, ok := str(v)
		if !ok {
			return fmt.Errorf("not a string: %v", v)
		}
		if !json.Valid([]byte(s)) {
			return fmt.Errorf("not JSON: %.40q", s)
		}
		n := len(strings.Join(strings.Fields(s), ""))
		if n > max {
			return fmt.Errorf("%d characters (whitespace excluded), want at most %d", n, max)
		}
		return nil
	}
}

// envVars: Lambda environment variable keys and their total size.
func envVars(v resource.PropertyValue) error {
	if !v.IsObject() {
		return fmt.Errorf("not an object: %v", v)
	}
	key := regexp.MustCompile(`^[a-zA-Z]([a-zA-Z0-9_])+$`)
	plain := map[string]string{}
	for k, val := range v.ObjectValue() {
		if !key.MatchString(string(k)) {
			return fmt.Errorf("variable %q: a key is a letter then letters, digits or _", k)
		}
		if slices.Contains(reservedEnv, string(k)) {
			return fmt.Errorf("variable %q is reserved by the Lambda runtime", k)
		}
		plain[string(k)], _ = str(val)
	}
	// AWS measures the JSON-serialised map ("String measured: {...}" in its error).
	if b, _ := json.Marshal(plain); len(b) > 4096 {
		return fmt.Errorf("%d bytes of environment variables (as JSON), want at most 4 KB", len(b))
	}
	return nil
}

// reservedEnv are the variables the Lambda runtime defines, which a function may not set.
var reservedEnv = []string{"_HANDLER", "_X_AMZN_TRACE_ID", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_EXECUTION_ENV",
	"AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION", "AWS_LAMBDA_INITIALIZATION_TYPE",
	"AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME", "AWS_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
	"AWS_SESSION_TOKEN", "AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR", "TZ"}

// destinationOf: an ARN of one of services ("arn:<partition>:<service>:...").
func destinationOf(services ...string) func(resource.PropertyValue) error {
	rx := regexp.MustCompile(`^arn:aws[a-z-]*:([a-z0-9-]+):`)
	return func(v resource.PropertyValue) error {
		s, ok := str(v)
		if !ok {
			return fmt.Errorf("not a string: %v", v)
		}
		m := rx.FindStringSubmatch(s)
		if m == nil || !slices.Contains(services, m[1]) {
			return fmt.Errorf("%q is not an ARN of %s", s, strings.Join(services, ", "))
		}
		return nil
	}
}

// tags: AWS tag keys and values.
func tags(v resource.PropertyValue) error {
	if !v.IsObject() {
		return fmt.Errorf("not an object: %v", v)
	}
	for k, val := range v.ObjectValue() {
		s, _ := str(val)
		if len(k) < 1 || len(k) > 127 || len(s) > 256 || strings.HasPrefix(strings.ToLower(string(k)), "aws:") {
			return fmt.Errorf("tag %q=%q: key 1-127 characters not starting with aws:, value at most 256", k, s)
		}
	}
	return nil
}

var (
	// snapshotID: letters, digits, hyphens; a letter first; no "--"; no trailing '-'.
	snapshotID = `^[A-Za-z]([A-Za-z0-9]|-[A-Za-z0-9])*$`
	// sgText is the character set EC2 allows in security group names and descriptions.
	sgText = `^[a-zA-Z0-9. _\-:/()#,@\[\]+=&;{}!$*]*$`
)

// providerRules are the rules per resource type token.
var providerRules = map[string][]propRule{
	"aws:lambda/function:Function": {
		{"name", pattern(`^[a-zA-Z0-9_-]+$`, 1, 64), docLambdaCreate + " (FunctionName)"},
		{"memorySize", between(128, 10240), tfLambda + " memory_size IntBetween(128, 10240)"},
		{"timeout", between(1, 900), tfLambda + " timeout IntBetween(1, 900)"},
		{"architectures", each(oneOf("arm64", "x86_64")), tfLambda + " architectures enum.Validate[types.Architecture]"},
		{"runtime", oneOf("provided.al2023", "provided.al2"), docLambdaCreate + " (Runtime; the OS-only runtimes a Go bootstrap runs on)"},
		{"handler", pattern(`^[^\s]+$`, 1, 128), tfLambda + " handler StringLenBetween(1, 128); " + docLambdaCreate + " (Handler)"},
		{"environment.variables", envVars, docLambdaEnv + "; https://docs.aws.amazon.com/lambda/latest/api/API_Environment.html (key pattern); reserved keys: https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html"},
	},
	"aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig": {
		{"maximumRetryAttempts", between(0, 2), docLambdaEventCfg + " (MaximumRetryAttempts)"},
		{"maximumEventAgeInSeconds", between(60, 21600), docLambdaEventCfg + " (MaximumEventAgeInSeconds)"},
		{"destinationConfig.onFailure.destination", destinationOf("sqs", "sns", "lambda", "events", "s3"), docLambdaDest},
		{"destinationConfig.onSuccess.destination", destinationOf("sqs", "sns", "lambda", "events"), docLambdaDest},
	},
	"aws:lambda/invocation:Invocation": {
		{"functionName", pattern(`^[a-zA-Z0-9_-]+$`, 1, 64), docLambdaInvoke + " (FunctionName)"},
		{"input", func(v resource.PropertyValue) error {
			s, ok := str(v)
			if !ok || !json.Valid([]byte(s)) {
				return fmt.Errorf("not JSON")
			}
			if len(s) > 6*1024*1024 {
				return fmt.Errorf("%d bytes, over the 6 MB synchronous payload limit", len(s))
			}
			return nil
		}, tfLambdaInvocation + " input validation.StringIsJSON; " + docLambdaInvoke + " (6 MB for synchronous invocations)"},
		{"lifecycleScope", oneOf("CREATE_ONLY", "CRUD"), tfLambdaInvocation + " lifecycle_scope"},
	},
	"aws:lambda/permission:Permission": {
		{"action", pattern(`^(lambda:[*]|lambda:[a-zA-Z]+|[*])$`, 1, 256), docLambdaPermission + " (Action)"},
		{"principal", pattern(`^[^\s]+$`, 1, 256), docLambdaPermission + " (Principal)"},
		{"sourceAccount", pattern(`^\d{12}$`, 12, 12), docLambdaPermission + " (SourceAccount)"},
	},
	"aws:cloudwatch/logGroup:LogGroup": {
		{"name", pattern(`^[\.\-_/#A-Za-z0-9]+$`, 1, 512), docLogGroup + " (logGroupName)"},
		{"retentionInDays", oneOf("1", "3", "5", "7", "14", "30", "60", "90", "120", "150", "180", "365", "400", "545", "731", "1096", "1827", "2192", "2557", "2922", "3288", "3653"), docLogRetention + " (retentionInDays)"},
	},
	"aws:cloudwatch/metricAlarm:MetricAlarm": {
		{"name", pattern(`^[\x20-\x7e]+$`, 1, 255), docAlarm + " (AlarmName)"},
		{"alarmDescription", pattern(`(?s)^.*$`, 0, 1024), docAlarm + " (AlarmDescription)"},
		{"namespace", pattern(`^[^:].*$`, 1, 255), docAlarm + " (Namespace)"},
		{"metricName", pattern(`^.+$`, 1, 255), docAlarm + " (MetricName)"},
		{"statistic", oneOf("SampleCount", "Average", "Sum", "Minimum", "Maximum"), docAlarm + " (Statistic)"},
		{"comparisonOperator", oneOf("GreaterThanOrEqualToThreshold", "GreaterThanThreshold", "LessThanThreshold", "LessThanOrEqualToThreshold",
			"LessThanLowerOrGreaterThanUpperThreshold", "LessThanLowerThreshold", "GreaterThanUpperThreshold"), docAlarm + " (ComparisonOperator)"},
		{"period", oneOf("10", "20", "30", "60", "120", "180", "240", "300", "600", "900", "3600", "21600", "86400"), docAlarm + " (Period: 10, 20, 30 or a multiple of 60; the values this program may use)"},
		{"evaluationPeriods", between(1, 1e9), docAlarm + " (EvaluationPeriods >= 1)"},
		{"treatMissingData", oneOf("breaching", "notBreaching", "ignore", "missing"), docAlarm + " (TreatMissingData)"},
	},
	"aws:sqs/queue:Queue": {
		{"name", pattern(`^[A-Za-z0-9_-]+$`, 1, 80), docSQSCreate + " (QueueName; .fifo only for FIFO queues)"},
		{"messageRetentionSeconds", between(60, 1209600), tfSQS + " message_retention_seconds IntBetween(60, 1_209_600)"},
		{"maxMessageSize", between(1024, 262144), docSQSMaxSizeV6},
	},
	"aws:sns/topic:Topic": {
		{"name", pattern(`^[A-Za-z0-9_-]+$`, 1, 256), docSNSTopic + " (Name)"},
	},
	"aws:sns/topicSubscription:TopicSubscription": {
		{"protocol", oneOf("http", "https", "email", "email-json", "sms", "sqs", "application", "lambda", "firehose"), docSNSSubscribe + " (Protocol)"},
	},
	"aws:budgets/budget:Budget": {
		{"name", pattern(`^[^:\\]+$`, 1, 100), docBudget + " (BudgetName)"},
		{"budgetType", oneOf("USAGE", "COST", "RI_UTILIZATION", "RI_COVERAGE", "SAVINGS_PLANS_UTILIZATION", "SAVINGS_PLANS_COVERAGE"), docBudget + " (BudgetType)"},
		{"timeUnit", oneOf("DAILY", "MONTHLY", "QUARTERLY", "ANNUALLY"), docBudget + " (TimeUnit)"},
	},
	"aws:rds/instance:Instance": {
		{"identifier", pattern(`^[a-z]([a-z0-9]|-[a-z0-9])*$`, 1, 63), tfRDS + "/validate.go validIdentifier; " + docRDSCreate + " (DBInstanceIdentifier, 1-63)"},
		{"finalSnapshotIdentifier", pattern(snapshotID, 1, 255), tfRDS + "/instance.go final_snapshot_identifier; " + docRDSDelete + " (FinalDBSnapshotIdentifier)"},
		{"dbName", pattern(`^[A-Za-z][A-Za-z0-9_]*$`, 1, 63), docRDSCreate + " (DBName, PostgreSQL)"},
		{"username", pattern(`^[A-Za-z][A-Za-z0-9_]*$`, 1, 16), docRDSCreate + " (MasterUsername: 1-16 letters, digits, underscores, a letter first)"},
		{"username", func(v resource.PropertyValue) error {
			if s, _ := str(v); s == "admin" || s == "rdsadmin" || strings.HasPrefix(s, "pg_") {
				return fmt.Errorf("%q is reserved on RDS for PostgreSQL", s)
			}
			return nil
		}, docRDSCreate + " (MasterUsername reserved words)"},
		{"password", pattern(`^[\x21-\x7e]+$`, 8, 128), docRDSCreate + " (MasterUserPassword: printable ASCII but /, \", @ and space)"},
		{"password", func(v resource.PropertyValue) error {
			if s, _ := str(v); strings.ContainsAny(s, `/"@ `) {
				return fmt.Errorf("contains /, \", @ or a space")
			}
			return nil
		}, docRDSCreate + " (MasterUserPassword)"},
		{"allocatedStorage", between(20, 65536), docRDSCreate + " (AllocatedStorage, gp3)"},
		{"backupRetentionPeriod", between(0, 35), docRDSCreate + " (BackupRetentionPeriod)"},
		{"instanceClass", pattern(`^db\.[a-z0-9]+\.[a-z0-9]+$`, 1, 64), docRDSCreate + " (DBInstanceClass)"},
		{"storageType", oneOf("standard", "gp2", "gp3", "io1", "io2"), docRDSCreate + " (StorageType)"},
	},
	"aws:rds/subnetGroup:SubnetGroup": {
		{"name", pattern(`^[a-z0-9 ._-]+$`, 1, 255), tfRDS + "/validate.go validSubnetGroupName; " + docRDSSubnetGroup + " (DBSubnetGroupName)"},
		{"subnetIds", func(v resource.PropertyValue) error {
			if v.IsArray() && len(v.ArrayValue()) < 2 {
				return fmt.Errorf("%d subnets: a DB subnet group needs subnets in at least two Availability Zones", len(v.ArrayValue()))
			}
			return nil
		}, docRDSSubnetGroup + " (SubnetIds)"},
	},
	"aws:iam/role:Role": {
		{"name", pattern(`^[\w+=,.@-]+$`, 1, 64), docIAMRole + " (RoleName)"},
		{"description", pattern(`^[\x{0009}\x{000A}\x{000D}\x{0020}-\x{007E}\x{00A1}-\x{00FF}]*$`, 0, 1000), docIAMRole + " (Description)"},
		{"assumeRolePolicy", jsonLen(2048), docIAMQuotas + " (role trust policy: 2,048 characters)"},
	},
	"aws:iam/rolePolicy:RolePolicy": {
		{"name", pattern(`^[\w+=,.@-]+$`, 1, 128), docIAMPutPolicy + " (PolicyName)"},
		{"policy", jsonLen(10240), docIAMQuotas},
	},
	"aws:s3/bucketV2:BucketV2": {
		{"bucket", pattern(`^[a-z0-9][a-z0-9.-]*[a-z0-9]$`, 3, 63), docS3Naming},
	},
	"aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2": {
		{"rules", each(func(v resource.PropertyValue) error {
			o := v.ObjectValue()
			if s, _ := str(o["status"]); s != "Enabled" && s != "Disabled" {
				return fmt.Errorf("status %v: want Enabled or Disabled", o["status"])
			}
			if id, _ := str(o["id"]); len(id) > 255 {
				return fmt.Errorf("id of %d characters, want at most 255", len(id))
			}
			return nil
		}), docS3Lifecycle + " (ID, Status)"},
	},
	"aws:s3/bucketNotification:BucketNotification": {
		{"lambdaFunctions", each(func(v resource.PropertyValue) error {
			return each(oneOf("s3:ObjectCreated:*", "s3:ObjectCreated:Put", "s3:ObjectCreated:Post", "s3:ObjectCreated:Copy",
				"s3:ObjectCreated:CompleteMultipartUpload", "s3:ObjectRemoved:*", "s3:ObjectRemoved:Delete"))(v.ObjectValue()["events"])
		}), docS3Events},
	},
	"aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2": {
		{"rules", each(func(v resource.PropertyValue) error {
			d := v.ObjectValue()["applyServerSideEncryptionByDefault"]
			if !d.IsObject() {
				return fmt.Errorf("no applyServerSideEncryptionByDefault")
			}
			return oneOf("AES256", "aws:kms", "aws:kms:dsse")(d.ObjectValue()["sseAlgorithm"])
		}), docS3SSE + " (SSEAlgorithm)"},
	},
	"aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": {},
	"aws:scheduler/schedule:Schedule": {
		{"name", pattern(`^[0-9a-zA-Z-_.]+$`, 1, 64), docScheduler + " (Name)"},
		{"scheduleExpression", pattern(`^(rate|cron|at)\(.+\)$`, 1, 256), docScheduler + " (ScheduleExpression)"},
		{"flexibleTimeWindow.mode", oneOf("OFF", "FLEXIBLE"), docScheduler + " (FlexibleTimeWindow.Mode)"},
		{"target.retryPolicy.maximumRetryAttempts", between(0, 185), docSchedulerRetry + " (MaximumRetryAttempts)"},
		{"target.retryPolicy.maximumEventAgeInSeconds", between(60, 86400), docSchedulerRetry + " (MaximumEventAgeInSeconds)"},
		{"target.input", pattern(`(?s)^.+$`, 1, 8192), docSchedulerTarget + " (Input)"},
		{"target.deadLetterConfig.arn", pattern(`^arn:aws(-[a-z]+)?:sqs:[a-z0-9\-]+:\d{12}:[a-zA-Z0-9\-_]+$`, 1, 1600),
			"https://docs.aws.amazon.com/scheduler/latest/APIReference/API_DeadLetterConfig.html (Arn: a standard SQS queue)"},
	},
	"aws:ec2/securityGroup:SecurityGroup": {
		{"description", pattern(sgText, 0, 255), docSecurityGroup + " (GroupDescription)"},
		{"name", pattern(sgText, 1, 255), docSecurityGroup + " (GroupName)"},
	},
	"aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": {
		{"fromPort", between(-1, 65535), docSGRule + " (FromPort)"},
		{"toPort", between(-1, 65535), docSGRule + " (ToPort)"},
		{"ipProtocol", oneOf("tcp", "udp", "icmp", "icmpv6", "-1"), docSGRule + " (IpProtocol)"},
		{"description", pattern(sgText, 0, 255), docSGRule + " (Description)"},
		{"cidrIpv4", cidr(false, 0, 32), docSGRule + " (CidrIp)"},
		{"cidrIpv6", cidr(true, 0, 128), docSGRule + " (CidrIpv6)"},
	},
	"aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": {
		{"fromPort", between(-1, 65535), docSGRule + " (FromPort)"},
		{"toPort", between(-1, 65535), docSGRule + " (ToPort)"},
		{"ipProtocol", oneOf("tcp", "udp", "icmp", "icmpv6", "-1"), docSGRule + " (IpProtocol)"},
		{"description", pattern(sgText, 0, 255), docSGRule + " (Description)"},
		{"cidrIpv4", cidr(false, 0, 32), docSGRule + " (CidrIp)"},
	},
	"aws:ec2/instance:Instance": {
		{"instanceType", pattern(`^[a-z0-9-]+\.[a-z0-9]+$`, 1, 64), "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_RunInstances.html (InstanceType)"},
		{"rootBlockDevice.volumeType", oneOf("standard", "gp2", "gp3", "io1", "io2", "sc1", "st1"), docEC2Volume + " (VolumeType)"},
		{"rootBlockDevice.volumeSize", between(1, 65536), docEC2Volume + " (VolumeSize, gp3: 1-65,536 GiB)"},
		{"userData", pattern(`(?s)^.*$`, 0, 16384), docEC2UserData},
		{"tags", tags, docTags},
	},
	"aws:ec2/vpc:Vpc": {
		{"cidrBlock", cidr(false, 16, 28), docVPCCidr},
		{"tags", tags, docTags},
	},
	"aws:ec2/subnet:Subnet": {
		{"cidrBlock", cidr(false, 16, 28), docSubnetCidr},
		{"ipv6CidrBlock", cidr(true, 64, 64), docSubnetCidr},
		{"tags", tags, docTags},
	},
	"aws:ec2/routeTable:RouteTable":                               {{"tags", tags, docTags}},
	"aws:ec2/routeTableAssociation:RouteTableAssociation":         {},
	"aws:ec2/internetGateway:InternetGateway":                     {{"tags", tags, docTags}},
	"aws:ec2/egressOnlyInternetGateway:EgressOnlyInternetGateway": {{"tags", tags, docTags}},
	"aws:ec2/natGateway:NatGateway":                               {{"tags", tags, docTags}},
	"aws:ec2/eip:Eip":                                             {{"domain", oneOf("vpc", "standard"), docEIP + " (Domain)"}},
	"aws:ec2/route:Route": {
		{"destinationCidrBlock", cidr(false, 0, 32), "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateRoute.html (DestinationCidrBlock)"},
		{"destinationIpv6CidrBlock", cidr(true, 0, 128), "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateRoute.html (DestinationIpv6CidrBlock)"},
	},
	"aws:ssm/parameter:Parameter": {
		{"name", pattern(`^[a-zA-Z0-9_./-]+$`, 1, 2048), docSSMPut + " (Name: 1-2048); " + docSSMNames},
		{"name", func(v resource.PropertyValue) error {
			s, _ := str(v)
			first := strings.ToLower(strings.SplitN(strings.TrimPrefix(s, "/"), "/", 2)[0])
			if strings.HasPrefix(first, "aws") || strings.HasPrefix(first, "ssm") {
				return fmt.Errorf("%q begins with aws or ssm, which Parameter Store reserves", s)
			}
			if strings.Count(strings.TrimPrefix(s, "/"), "/") > 14 {
				return fmt.Errorf("%q has more than 15 levels", s)
			}
			return nil
		}, docSSMNames},
		{"type", oneOf("String", "StringList", "SecureString"), docSSMPut + " (Type)"},
		{"tier", oneOf("Standard", "Advanced", "Intelligent-Tiering"), docSSMPut + " (Tier)"},
		{"value", pattern(`(?s)^.+$`, 1, 4096), docSSMPut + " (Value: standard parameters hold at most 4 KB)"},
		{"description", pattern(`(?s)^.*$`, 0, 1024), docSSMPut + " (Description: 0-1024)"},
	},
	"aws:ec2/vpcEndpoint:VpcEndpoint": {
		{"vpcEndpointType", oneOf("Interface", "Gateway", "GatewayLoadBalancer", "Resource", "ServiceNetwork"), docVPCEndpoint + " (VpcEndpointType)"},
		{"serviceName", pattern(`^[a-z0-9.-]+\.[a-z0-9-]+\.[a-z0-9-]+$`, 1, 255), docVPCEndpoint + " (ServiceName)"},
	},
}

// autonames are the rules for names the provider generates when the program sets none:
// the property, how the provider builds the name from the logical name, the rule the name
// must meet, and the sources. Pulumi errors (it does not truncate) when a name is too long.
var autonames = map[string]autoname{
	"aws:iam/role:Role":                      {"name", hyphen7, ruleOf(`^[\w+=,.@-]+$`, 1, 64), docIAMRole + " (RoleName); pulumi-aws provider/resources.go aws_iam_role AutoName(name, 64)"},
	"aws:iam/rolePolicy:RolePolicy":          {"name", hyphen7, ruleOf(`^[\w+=,.@-]+$`, 1, 128), docIAMPutPolicy + " (PolicyName); pulumi-aws autonaming.go default AutoName(name, 255)"},
	"aws:s3/bucketV2:BucketV2":               {"bucket", lowerHyphen7, ruleOf(`^[a-z0-9][a-z0-9.-]*[a-z0-9]$`, 3, 63), docS3Naming + "; pulumi-aws provider/resources.go aws_s3_bucket AutoNameTransform(bucket, 63, ToLower)"},
	"aws:rds/instance:Instance":              {"identifier", plain7, ruleOf(`^[a-z]([a-z0-9]|-[a-z0-9])*$`, 1, 63), tfRDS + "/validate.go validIdentifier; pulumi-aws provider/resources.go aws_db_instance NewUniqueHex(name, 7, 255) (no separator)"},
	"aws:rds/subnetGroup:SubnetGroup":        {"name", hyphen7, ruleOf(`^[a-z0-9 ._-]+$`, 1, 255), tfRDS + "/validate.go validSubnetGroupName; pulumi-aws autonaming.go default (not lowercased)"},
	"aws:ec2/securityGroup:SecurityGroup":    {"name", hyphen7, ruleOf(sgText, 1, 255), docSecurityGroup + " (GroupName); pulumi-aws autonaming.go default"},
	"aws:scheduler/schedule:Schedule":        {"name", hyphen7, ruleOf(`^[0-9a-zA-Z-_.]+$`, 1, 64), "terraform-provider-aws internal/service/scheduler/schedule.go name; pulumi-aws autonaming.go default AutoName(name, 255)"},
	"aws:lambda/function:Function":           {"name", hyphen7, ruleOf(`^[a-zA-Z0-9_-]+$`, 1, 64), docLambdaCreate + "; pulumi-aws provider/resources.go aws_lambda_function AutoName(function_name, 64)"},
	"aws:sqs/queue:Queue":                    {"name", hyphen7, ruleOf(`^[A-Za-z0-9_-]+$`, 1, 80), tfSQS + " resourceQueueCustomizeDiff; pulumi-aws provider/resources.go aws_sqs_queue Maxlen 80"},
	"aws:sns/topic:Topic":                    {"name", hyphen7, ruleOf(`^[A-Za-z0-9_-]+$`, 1, 80), "terraform-provider-aws internal/service/sns/topic.go resourceTopicCustomizeDiff; pulumi-aws provider/resources.go aws_sns_topic Maxlen 80"},
	"aws:cloudwatch/logGroup:LogGroup":       {"name", hyphen7, ruleOf(`^[\.\-_/#A-Za-z0-9]+$`, 1, 512), "terraform-provider-aws internal/service/logs/validate.go validLogGroupName; pulumi-aws autonaming.go default"},
	"aws:cloudwatch/metricAlarm:MetricAlarm": {"name", hyphen7, ruleOf(`^[\x20-\x7e]+$`, 1, 255), docAlarm + "; pulumi-aws autonaming.go default AutoName(name, 255)"},
	"aws:budgets/budget:Budget":              {"name", hyphen7, ruleOf(`^[^:\\]+$`, 1, 100), docBudget + " (BudgetName); pulumi-aws autonaming.go default AutoName(name, 255)"},
}

// The ways the provider builds a name from the logical name: 7 hex characters appended
// after '-' (the default), after '-' to the lowercased name (S3), or with no separator (RDS).
func hyphen7(logical string) string      { return logical + "-0a1b2c3" }
func lowerHyphen7(logical string) string { return strings.ToLower(logical) + "-0a1b2c3" }
func plain7(logical string) string       { return logical + "0a1b2c3" }

func ruleOf(re string, minLen, maxLen int) func(string) error {
	rx := regexp.MustCompile(re)
	return func(s string) error { return checkString(s, rx, minLen, maxLen) }
}

// lookup walks a dotted path through nested objects; ok is false when a step is missing.
func lookup(m resource.PropertyMap, path string) (resource.PropertyValue, bool) {
	parts := strings.Split(path, ".")
	v, ok := m[resource.PropertyKey(parts[0])]
	for _, p := range parts[1:] {
		if !ok {
			return resource.PropertyValue{}, false
		}
		if v.IsSecret() {
			v = v.SecretValue().Element
		}
		if !v.IsObject() {
			return resource.PropertyValue{}, false
		}
		v, ok = v.ObjectValue()[resource.PropertyKey(p)]
	}
	return v, ok
}

// checkProviderRules is what the mock provider refuses of a registration of typ named
// logical with inputs, as the real provider or AWS would refuse it.
func checkProviderRules(typ, logical string, inputs resource.PropertyMap) error {
	rules, known := providerRules[typ]
	if !known && !strings.HasPrefix(typ, "lambdabridge:") && typ != "pulumi:pulumi:Stack" {
		return fmt.Errorf("mock provider: no rules for %s: add them to providerRules (mockrules_test.go) with their sources", typ)
	}
	for _, r := range rules {
		v, ok := lookup(inputs, r.prop)
		if !ok || v.IsNull() || v.IsComputed() || v.IsOutput() || (v.IsSecret() && v.SecretValue().Element.IsComputed()) {
			continue
		}
		if v.IsSecret() { // a secret is checked like its value (AWS sees the plaintext)
			v = v.SecretValue().Element
		}
		if err := r.check(v); err != nil {
			return fmt.Errorf("%s %s: %s: %w (%s)", typ, logical, r.prop, err, r.source)
		}
	}
	if a, ok := autonames[typ]; ok {
		if _, set := inputs[resource.PropertyKey(a.prop)]; !set {
			name := a.build(logical)
			if err := a.check(name); err != nil {
				return fmt.Errorf("%s %s: auto-named %s: %w (%s)", typ, logical, a.prop, err, a.source)
			}
		}
	}
	return nil
}
