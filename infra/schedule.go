package infra

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/scheduler"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/lambdabridge/lambdabridge/handlers/event"
)

// ScheduleArgs configures a Schedule.
type ScheduleArgs struct {
	// Expression is the EventBridge Scheduler expression: rate(...) or cron(...).
	Expression string
	// TargetArn is the function to invoke (fetcher or relay).
	TargetArn pulumi.StringInput
}

// Schedule invokes one function on an EventBridge Scheduler schedule, through a role
// that may invoke only that function.
type Schedule struct {
	pulumi.ResourceState

	// Arn is the schedule's ARN.
	Arn pulumi.StringOutput
}

// NewSchedule registers a Schedule component named name.
func NewSchedule(ctx *pulumi.Context, name string, args *ScheduleArgs, opts ...pulumi.ResourceOption) (*Schedule, error) {
	if args == nil || args.Expression == "" || args.TargetArn == nil {
		return nil, fmt.Errorf("schedule %s: an expression and a target are required", name)
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
		Policy: policyJSON([]grant{{"InvokeScheduledFunction", []string{"lambda:InvokeFunction"},
			pulumi.StringArray{args.TargetArn}}}),
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
			// The function's own async config retries and dead-letters; the scheduler's
			// retries would only add duplicate runs when Lambda throttles.
			RetryPolicy: &scheduler.ScheduleTargetRetryPolicyArgs{
				MaximumRetryAttempts:     pulumi.Int(0),
				MaximumEventAgeInSeconds: pulumi.Int(3600),
			},
		},
	}, parent, pulumi.DependsOn([]pulumi.Resource{pol}))
	if err != nil {
		return nil, fmt.Errorf("schedule %s: %w", name, err)
	}
	s.Arn = sch.Arn
	if err := ctx.RegisterResourceOutputs(s, pulumi.Map{"arn": s.Arn}); err != nil {
		return nil, fmt.Errorf("schedule %s: outputs: %w", name, err)
	}
	return s, nil
}
