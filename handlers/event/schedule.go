package event

import (
	"strconv"
	"strings"
	"time"
)

// SchedulerInput is the Input the stack's EventBridge Scheduler schedule hands the fetcher (or
// relay), and so the requestPayload of every destination invocation record. Scheduler replaces
// each <aws.scheduler.*> context attribute when it invokes the target
// (https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-schedule-context-attributes.html).
// It is small and fixed so that the planner's SchedulerEventBytes bound holds (infra tests it),
// and it tells the logs which scheduled run an invocation serves.
const SchedulerInput = `{"source":"` + SchedulerSource + `","scheduleArn":"<aws.scheduler.schedule-arn>",` +
	`"scheduledTime":"<aws.scheduler.scheduled-time>","executionId":"<aws.scheduler.execution-id>",` +
	`"attempt":"<aws.scheduler.attempt-number>"}`

// SchedulerSource is the "source" field of SchedulerInput: it marks a scheduled run, e.g.
// for redrive telling a failed fetch from a failed write.
const SchedulerSource = "lambdabridge.schedule"

// NewSchedulerEvent renders SchedulerInput as EventBridge Scheduler would for one invocation:
// the local pipeline sends exactly what the deployed schedule sends.
func NewSchedulerEvent(scheduleARN string, scheduled time.Time, executionID string, attempt int) []byte {
	return []byte(strings.NewReplacer(
		"<aws.scheduler.schedule-arn>", scheduleARN,
		"<aws.scheduler.scheduled-time>", scheduled.UTC().Format(time.RFC3339),
		"<aws.scheduler.execution-id>", executionID,
		"<aws.scheduler.attempt-number>", strconv.Itoa(attempt),
	).Replace(SchedulerInput))
}
