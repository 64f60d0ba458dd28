package infra

import (
	"fmt"
	"math"
	"slices"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/budgets"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sns"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/lambdabridge/lambdabridge/planner"
)

// MetricsNamespace is where the fetcher and relay publish their Embedded Metric Format
// size metrics (dimension FunctionName).
const MetricsNamespace = "lambdabridge"

// MinBudgetUSD is the smallest budget the program creates: an estimate of $0 (all in
// the free tier) still gets a budget that fires on the first real dollar.
const MinBudgetUSD = 1.0

// GuardrailsArgs configures Guardrails.
type GuardrailsArgs struct {
	// NamePrefix prefixes physical names (topic, alarms, budget).
	NamePrefix string
	// Alarms are the alarms to create (the topology's planner.Shape.Alarms), each on the
	// function of its role as named in FunctionNames, or on the dead-letter queue.
	Alarms        []planner.Alarm
	FunctionNames map[planner.Role]string
	// RecordAlarmPercent is the record-size alarm's threshold, 1-100.
	RecordAlarmPercent int
	// DLQName is the dead-letter queue's name; any visible message alarms.
	DLQName pulumi.StringInput
	// FailureBucketName is the failure bucket's name (nil without one); any object in it
	// alarms.
	FailureBucketName pulumi.StringInput
	// AlarmEmail subscribes to the topic and receives the budget notices ("" = none).
	AlarmEmail string
	// BudgetUSD is the monthly cost budget (planner estimate times the budget factor);
	// raised to MinBudgetUSD.
	BudgetUSD float64
}

// Guardrails are the alarms, their SNS topic and the monthly cost budget.
type Guardrails struct {
	pulumi.ResourceState

	// TopicArn is where the alarms notify.
	TopicArn pulumi.StringOutput
	// BudgetUSD is the budget limit as created.
	BudgetUSD float64
}

// alarm is one CloudWatch alarm: metric, namespace, dimensions, statistic and threshold, and
// its period in seconds (0: alarmPeriod).
type alarm struct {
	part, metric, namespace, statistic, comparison, description string
	dims                                                        pulumi.StringMap
	threshold                                                   float64
	period                                                      int
}

// alarmPeriod is the period of every alarm on a metric Lambda or SQS reports each minute.
const alarmPeriod = 300

// s3StoragePeriod is the period of an alarm on an S3 storage metric, which S3 reports once a
// day (free): https://docs.aws.amazon.com/AmazonS3/latest/userguide/metrics-dimensions.html
const s3StoragePeriod = 86400

// NewGuardrails registers the Guardrails component named name.
func NewGuardrails(ctx *pulumi.Context, name string, args *GuardrailsArgs, opts ...pulumi.ResourceOption) (*Guardrails, error) {
	if args == nil || args.DLQName == nil {
		return nil, fmt.Errorf("guardrails %s: args with a DLQ name are required", name)
	}
	if slices.ContainsFunc(args.Alarms, func(a planner.Alarm) bool { return a.Kind == planner.AlarmRecordSize }) &&
		(args.RecordAlarmPercent <= 0 || args.RecordAlarmPercent > 100) {
		return nil, fmt.Errorf("guardrails %s: recordAlarmPercent %d: want 1-100", name, args.RecordAlarmPercent)
	}
	if math.IsNaN(args.BudgetUSD) || math.IsInf(args.BudgetUSD, 0) || args.BudgetUSD < 0 {
		return nil, fmt.Errorf("guardrails %s: budget %v USD: want a finite amount >= 0", name, args.BudgetUSD)
	}
	g := &Guardrails{BudgetUSD: BudgetAmount(args.BudgetUSD)}
	if err := ctx.RegisterComponentResource("lambdabridge:guardrails:Guardrails", name, g, opts...); err != nil {
		return nil, fmt.Errorf("register guardrails %s: %w", name, err)
	}
	parent := pulumi.Parent(g)
	fail := func(what string, err error) (*Guardrails, error) {
		return nil, fmt.Errorf("guardrails %s: %s: %w", name, what, err)
	}

	topic, err := sns.NewTopic(ctx, name+"-topic", &sns.TopicArgs{
		Name: pulumi.String(args.NamePrefix + "-alarms"),
	}, parent)
	if err != nil {
		return fail("topic", err)
	}
	g.TopicArn = topic.Arn
	if args.AlarmEmail != "" {
		if _, err := sns.NewTopicSubscription(ctx, name+"-email", &sns.TopicSubscriptionArgs{
			Topic:    topic.Arn,
			Protocol: pulumi.String("email"),
			Endpoint: pulumi.String(args.AlarmEmail),
		}, parent); err != nil {
			return fail("email subscription", err)
		}
	}

	alarms := make([]alarm, 0, len(args.Alarms))
	for _, spec := range args.Alarms {
		a, err := newAlarm(spec, args)
		if err != nil {
			return fail("alarm", err)
		}
		alarms = append(alarms, a)
	}

	for _, a := range alarms {
		if a.period == 0 {
			a.period = alarmPeriod
		}
		if _, err := cloudwatch.NewMetricAlarm(ctx, name+"-"+a.part, &cloudwatch.MetricAlarmArgs{
			Name:               pulumi.String(args.NamePrefix + "-" + a.part),
			AlarmDescription:   pulumi.String(a.description),
			Namespace:          pulumi.String(a.namespace),
			MetricName:         pulumi.String(a.metric),
			Dimensions:         a.dims,
			Statistic:          pulumi.String(a.statistic),
			Period:             pulumi.Int(a.period),
			EvaluationPeriods:  pulumi.Int(1),
			ComparisonOperator: pulumi.String(a.comparison),
			Threshold:          pulumi.Float64(a.threshold),
			TreatMissingData:   pulumi.String("notBreaching"),
			AlarmActions:       pulumi.Array{topic.Arn},
		}, parent); err != nil {
			return fail("alarm "+a.part, err)
		}
	}

	ba := &budgets.BudgetArgs{
		Name:        pulumi.String(args.NamePrefix + "-monthly"),
		BudgetType:  pulumi.String("COST"),
		TimeUnit:    pulumi.String("MONTHLY"),
		LimitAmount: pulumi.String(fmt.Sprintf("%.2f", g.BudgetUSD)),
		LimitUnit:   pulumi.String("USD"),
	}
	// AWS Budgets emails subscribers directly; without an address the budget is still
	// visible in the console but tells no one.
	if args.AlarmEmail != "" {
		var notes budgets.BudgetNotificationArray
		for _, pct := range []float64{80, 100} {
			notes = append(notes, &budgets.BudgetNotificationArgs{
				ComparisonOperator:       pulumi.String("GREATER_THAN"),
				NotificationType:         pulumi.String("ACTUAL"),
				Threshold:                pulumi.Float64(pct),
				ThresholdType:            pulumi.String("PERCENTAGE"),
				SubscriberEmailAddresses: pulumi.StringArray{pulumi.String(args.AlarmEmail)},
			})
		}
		ba.Notifications = notes
	}
	if _, err := budgets.NewBudget(ctx, name+"-budget", ba, parent); err != nil {
		return fail("budget", err)
	}
	if err := ctx.RegisterResourceOutputs(g, pulumi.Map{
		"topicArn":  g.TopicArn,
		"budgetUSD": pulumi.Float64(g.BudgetUSD),
	}); err != nil {
		return fail("outputs", err)
	}
	return g, nil
}

// newAlarm is the CloudWatch alarm of one planner.Alarm.
func newAlarm(spec planner.Alarm, args *GuardrailsArgs) (alarm, error) {
	switch spec.Kind {
	case planner.AlarmDLQVisible:
		return alarm{part: "dlq-visible", metric: "ApproximateNumberOfMessagesVisible", namespace: "AWS/SQS", statistic: "Maximum", comparison: "GreaterThanThreshold",
			description: "Failed invocations (or runs the schedule could not start) are waiting in the dead-letter queue: fix the cause (e.g. the database was down), then run cmd/redrive.",
			dims:        pulumi.StringMap{"QueueName": args.DLQName}}, nil
	case planner.AlarmFailureObjects:
		if args.FailureBucketName == nil {
			return alarm{}, fmt.Errorf("%s alarm: no failure bucket in this stack", spec.Kind)
		}
		return alarm{part: "failure-objects", metric: "NumberOfObjects", namespace: "AWS/S3", statistic: "Maximum", comparison: "GreaterThanThreshold",
			description: "Failure records too large for the dead-letter queue are waiting in the failure bucket (S3 counts objects once a day): fix the cause, then run cmd/redrive --bucket.",
			dims:        pulumi.StringMap{"BucketName": args.FailureBucketName, "StorageType": pulumi.String("AllStorageTypes")}, period: s3StoragePeriod}, nil
	}
	fn := args.FunctionNames[spec.Function]
	if fn == "" {
		return alarm{}, fmt.Errorf("%s alarm: no %s function in this stack", spec.Kind, spec.Function)
	}
	dims := pulumi.StringMap{"FunctionName": pulumi.String(fn)}
	lambdaAlarm := func(part, metric, description string) alarm {
		return alarm{part: fn + "-" + part, metric: metric, namespace: "AWS/Lambda", statistic: "Sum", comparison: "GreaterThanThreshold",
			description: description, dims: dims}
	}
	switch spec.Kind {
	case planner.AlarmErrors:
		return lambdaAlarm("errors", "Errors", "A run of "+fn+" failed; after its retries the event goes to its onFailure destination (the dead-letter queue or the failure bucket)."), nil
	case planner.AlarmAsyncDropped:
		return lambdaAlarm("async-dropped", "AsyncEventsDropped", "Lambda dropped events for "+fn+" (too old or out of retries) without reaching a destination."), nil
	case planner.AlarmDestinationFailures:
		return lambdaAlarm("delivery-failures", "DestinationDeliveryFailures",
			"Lambda could not deliver a record of "+fn+" to its destination (onSuccess to the writer, onFailure to the dead-letter queue or failure bucket): too large, or a permission. That event is lost; this metric is its only trace."), nil
	case planner.AlarmRecordSize:
		return alarm{part: fn + "-record-size", metric: "RecordPercentOfLimit", namespace: MetricsNamespace, statistic: "Maximum", comparison: "GreaterThanOrEqualToThreshold",
			description: fmt.Sprintf("The record %s returns reached %d%% of the async payload limit: the payload grew. Turn on spill or switch to the s3 topology before records are lost.", fn, args.RecordAlarmPercent),
			dims:        dims, threshold: float64(args.RecordAlarmPercent)}, nil
	}
	return alarm{}, fmt.Errorf("alarm kind %q is not known to infra", spec.Kind)
}

// BudgetAmount rounds a budget up to whole cents and raises it to MinBudgetUSD.
func BudgetAmount(usd float64) float64 {
	cents := math.Ceil(math.Round(usd*1e6)/1e4) / 100 // round away float noise, then up to a cent
	return math.Max(cents, MinBudgetUSD)
}
