package event

import (
	"encoding/json"
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

// ScheduledRun identifies one run of the schedule: the time it was scheduled for and the
// execution id Scheduler gave it. Every delivery of that run (a duplicated event, a retry, a
// replay from the dead-letter queue) carries the same scheduled time, so the store keeps one
// row per ScheduledRun.Time.
type ScheduledRun struct {
	Time        time.Time
	ExecutionID string
}

// ParseScheduledRun reads the run a scheduled event serves: an event of SchedulerInput's
// form (source SchedulerSource) whose scheduledTime Scheduler filled in. ok is false for
// anything else — a run started by hand (any other event, or the input with its context
// attributes still unreplaced) — which keeps its per-fetch identity.
func ParseScheduledRun(raw []byte) (run ScheduledRun, ok bool) {
	var ev struct {
		Source        string `json:"source"`
		ScheduledTime string `json:"scheduledTime"`
		ExecutionID   string `json:"executionId"`
	}
	if json.Unmarshal(raw, &ev) != nil || ev.Source != SchedulerSource {
		return ScheduledRun{}, false
	}
	at, err := time.Parse(time.RFC3339, ev.ScheduledTime)
	if err != nil {
		return ScheduledRun{}, false
	}
	if strings.HasPrefix(ev.ExecutionID, "<") { // not substituted: not Scheduler's
		ev.ExecutionID = ""
	}
	return ScheduledRun{Time: at.UTC(), ExecutionID: ev.ExecutionID}, true
}
