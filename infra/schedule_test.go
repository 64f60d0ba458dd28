package infra

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/lambdabridge/lambdabridge/handlers/event"
	"github.com/lambdabridge/lambdabridge/planner"
)

// TestSchedulerInputFitsPlannerBound fills every context attribute of event.SchedulerInput with the
// longest value AWS can put there and checks the event stays valid JSON within the planner's
// SchedulerEventBytes, the requestPayload share of the destination record estimate.
func TestSchedulerInputFitsPlannerBound(t *testing.T) {
	longest := strings.NewReplacer(
		// arn:aws:scheduler:<region>:<12-digit account>:schedule/<group, 64>/<name, 64>
		"<aws.scheduler.schedule-arn>", "arn:aws:scheduler:ap-southeast-1:123456789012:schedule/"+strings.Repeat("g", 64)+"/"+strings.Repeat("n", 64),
		"<aws.scheduler.scheduled-time>", "2026-11-25T09:50:00Z",
		// AWS's example id is 16 characters; allow a UUID-length one.
		"<aws.scheduler.execution-id>", strings.Repeat("e", 36),
		// Scheduler retries at most 185 times: three digits.
		"<aws.scheduler.attempt-number>", "185",
	)
	ev := longest.Replace(event.SchedulerInput)
	if strings.Contains(ev, "<aws.scheduler.") {
		t.Fatalf("an attribute was not replaced: %s", ev)
	}
	var fields map[string]string
	if err := json.Unmarshal([]byte(ev), &fields); err != nil {
		t.Fatalf("scheduled event is not a JSON object of strings: %v\n%s", err, ev)
	}
	if len(ev) > planner.SchedulerEventBytes {
		t.Errorf("scheduled event is %d bytes at most, over the planner's SchedulerEventBytes %d", len(ev), planner.SchedulerEventBytes)
	}
	t.Logf("longest scheduled event: %d of %d bytes", len(ev), planner.SchedulerEventBytes)
}
