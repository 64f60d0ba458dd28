package event

import (
	"encoding/json"
	"testing"
	"time"
)

func TestNewSchedulerEvent(t *testing.T) {
	at := time.Date(2026, 11, 25, 9, 50, 0, 0, time.FixedZone("JST", 9*3600))
	raw := NewSchedulerEvent("arn:aws:scheduler:ap-northeast-1:123456789012:schedule/default/lb", at, "d32c5kddcf5bb8c3", 2)
	var got map[string]string
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatalf("not a JSON object of strings: %v\n%s", err, raw)
	}
	want := map[string]string{
		"source":        "lambdabridge.schedule",
		"scheduleArn":   "arn:aws:scheduler:ap-northeast-1:123456789012:schedule/default/lb",
		"scheduledTime": "2026-11-25T00:50:00Z", // 09:50 JST is 00:50 UTC, as Scheduler writes it
		"executionId":   "d32c5kddcf5bb8c3",
		"attempt":       "2",
	}
	if len(got) != len(want) {
		t.Errorf("fields %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
}

// TestParseScheduledRun: the schedule's own event names its run; anything else is a run
// started by hand.
func TestParseScheduledRun(t *testing.T) {
	at := time.Date(2026, 11, 25, 0, 50, 0, 0, time.UTC)
	tests := []struct {
		name string
		raw  string
		ok   bool
		want ScheduledRun
	}{
		{"the schedule's event", string(NewSchedulerEvent("arn:aws:scheduler:ap-northeast-1:123456789012:schedule/default/lb", at, "d32c5kddcf5bb8c3", 1)),
			true, ScheduledRun{Time: at, ExecutionID: "d32c5kddcf5bb8c3"}},
		{"a retry of it (attempt 3)", string(NewSchedulerEvent("arn:aws:scheduler:ap-northeast-1:123456789012:schedule/default/lb", at, "d32c5kddcf5bb8c3", 3)),
			true, ScheduledRun{Time: at, ExecutionID: "d32c5kddcf5bb8c3"}},
		{"the Input unsubstituted (invoked by hand with it)", SchedulerInput, false, ScheduledRun{}},
		{"an EventBridge rule's event", `{"source":"aws.events","detail-type":"Scheduled Event","time":"2026-11-25T00:50:00Z"}`, false, ScheduledRun{}},
		{"an empty test event", `{}`, false, ScheduledRun{}},
		{"not JSON", `run`, false, ScheduledRun{}},
	}
	for _, tc := range tests {
		got, ok := ParseScheduledRun([]byte(tc.raw))
		if ok != tc.ok || !got.Time.Equal(tc.want.Time) || got.ExecutionID != tc.want.ExecutionID {
			t.Errorf("%s: %+v %v, want %+v %v", tc.name, got, ok, tc.want, tc.ok)
		}
	}
}
