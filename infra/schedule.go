package infra

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/scheduler"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/lambdabridge/lambdabridge/handlers/event"
	"github.com/lambdabridge/lambdabridge/planner"
)

// ScheduleArgs configures a Schedule.
type ScheduleArgs struct {
	// Expression is the EventBridge Scheduler expression: rate(...) or cron(...).
	Expression string
	// TargetArn is the function to invoke (fetcher or relay).
	TargetArn pulumi.StringInput
	// DLQArn is the dead-letter queue a run goes to when Lambda refuses its Invoke past the
	// schedule's retries.
	DLQArn pulumi.StringInput
	// After are resources the schedule waits for (the database setup): no run before them.
	After []pulumi.Resource
}

// Schedule invokes one function on an EventBridge Scheduler schedule, through a role that may
// invoke only that function and send only to the dead-letter queue. Scheduler invokes Lambda
// asynchronously: its Invoke fails only when Lambda cannot queue the event (a throttle, a
// service error), so retrying it never duplicates a run Lambda queued; past the retries the
// run's event goes to the dead-letter queue, where cmd/redrive can start it again.
type Schedule struct {
	pulumi.ResourceState

	// Arn is the schedule's ARN.
	Arn pulumi.StringOutput
}

// NewSchedule registers a Schedule component named name.
func NewSchedule(ctx *pulumi.Context, name string, args *ScheduleArgs, opts ...pulumi.ResourceOption) (*Schedule, error) {
	if args == nil || args.Expression == "" || args.TargetArn == nil || args.DLQArn == nil {
		return nil, fmt.Errorf("schedule %s: an expression, a target and a dead-letter queue are required", name)
	}
	s := &Schedule{}
	if err := ctx.RegisterComponentResource("lambdabridge:schedule:Schedule", name, s, opts...); err != nil {
		return nil, fmt.Errorf("register schedule %s: %w", name, err)
	}
	parent := pulumi.Parent(s)
	role, err := iam.NewRole(ctx, name+"-role", &iam.RoleArgs{
		AssumeRolePolicy: pulumi.String(assumeRolePolicy("scheduler.amazonaws.com")),
		Description:      pulumi.String("lambdabridge schedule: invoke the scheduled function only"),
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("schedule %s: role: %w", name, err)
	}
	pol, err := iam.NewRolePolicy(ctx, name+"-policy", &iam.RolePolicyArgs{
		Role: role.Name,
		Policy: policyJSON([]grant{
			{"InvokeScheduledFunction", []string{"lambda:InvokeFunction"}, pulumi.StringArray{args.TargetArn}},
			// Scheduler delivers dead letters with the schedule's role.
			{"SendMissedRunsToDLQ", []string{"sqs:SendMessage"}, pulumi.StringArray{args.DLQArn}},
		}),
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("schedule %s: role policy: %w", name, err)
	}
	sch, err := scheduler.NewSchedule(ctx, name+"-trigger", &scheduler.ScheduleArgs{
		ScheduleExpression:         pulumi.String(args.Expression),
		ScheduleExpressionTimezone: pulumi.String("UTC"),
		FlexibleTimeWindow:         &scheduler.ScheduleFlexibleTimeWindowArgs{Mode: pulumi.String("OFF")},
		Target: &scheduler.ScheduleTargetArgs{
			Arn:     args.TargetArn,
			RoleArn: role.Arn,
			Input:   pulumi.String(event.SchedulerInput),
			// Retries of an Invoke Lambda refused (it queued nothing, so a retry duplicates
			// nothing; the function's own async config retries its errors), then the
			// dead-letter queue: no run is dropped silently.
			RetryPolicy: &scheduler.ScheduleTargetRetryPolicyArgs{
				MaximumRetryAttempts:     pulumi.Int(planner.SchedulerRetryAttempts),
				MaximumEventAgeInSeconds: pulumi.Int(planner.SchedulerMaxEventAgeSeconds),
			},
			DeadLetterConfig: &scheduler.ScheduleTargetDeadLetterConfigArgs{Arn: args.DLQArn},
		},
	}, parent, pulumi.DependsOn(append([]pulumi.Resource{pol}, args.After...)))
	if err != nil {
		return nil, fmt.Errorf("schedule %s: %w", name, err)
	}
	s.Arn = sch.Arn
	if err := ctx.RegisterResourceOutputs(s, pulumi.Map{"arn": s.Arn}); err != nil {
		return nil, fmt.Errorf("schedule %s: outputs: %w", name, err)
	}
	return s, nil
}
