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
