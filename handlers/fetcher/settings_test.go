package fetcher

import (
	"reflect"
	"testing"
	"time"

	"github.com/lambdabridge/lambdabridge/handlers/envvar/envvartest"
	"github.com/lambdabridge/lambdabridge/handlers/source"
)

// TestSettingsEnvRoundTrip: Env renders each Settings as the variables listed, and
// SettingsFromEnv parses them back to the same Settings, every optional field included.
func TestSettingsEnvRoundTrip(t *testing.T) {
	const url = "https://api.example.com/v1/data.json"
	spill := NewSettings(url, 262_144)
	spill.Bucket, spill.Spill, spill.RecordMarginBytes = "handoff", true, 2048
	spill.Source.Config.Retries = MaxRetries
	noMargin := NewSettings(url, 1_048_576)
	noMargin.RecordMarginBytes = 0 // explicit: ⌊1,048,576 × 5 / 100⌋ = 52,428 is the default
	tests := []struct {
		name string
		s    Settings
		env  map[string]string
	}{
		{name: "NewSettings: a destination fetcher as infra deploys it",
			s: NewSettings(url, 1_048_576),
			// The margin is the default (52,428 bytes), so RECORD_MARGIN_BYTES is left out.
			env: map[string]string{"SOURCE_URL": url, "MODE": "destination", "KEY_PREFIX": "fetches/", "SPILL": "false", "ASYNC_LIMIT_BYTES": "1048576"}},
		{name: "s3 mode, every source field, headers from secrets",
			s: Settings{
				Source: SourceSettings{
					Config: source.Config{URL: url, ConnectTimeout: 2 * time.Second, Timeout: 90 * time.Second, Retries: 0, MaxBodyBytes: 1000,
						ExpectJSON: true, Headers: map[string]string{"Authorization": "Bearer t0k", "X-Api-Key": "k3y"}},
					HeaderVars: map[string]string{"Authorization": "API_TOKEN", "X-Api-Key": "API_KEY"},
				},
				Mode: ModeS3, Bucket: "handoff", KeyPrefix: "p/", ForcePathStyle: true,
			},
			env: map[string]string{"SOURCE_URL": url, "CONNECT_TIMEOUT": "2s", "FETCH_TIMEOUT": "1m30s", "FETCH_RETRIES": "0",
				"MAX_BODY_BYTES": "1000", "EXPECT_JSON": "true", "SOURCE_HEADERS": `{"Authorization":"API_TOKEN","X-Api-Key":"API_KEY"}`,
				"API_TOKEN": "Bearer t0k", "API_KEY": "k3y", "MODE": "s3", "BUCKET": "handoff", "KEY_PREFIX": "p/", "SPILL": "false",
				"S3_FORCE_PATH_STYLE": "true"}},
		{name: "destination with spill, a margin of its own and the most retries",
			s: spill,
			env: map[string]string{"SOURCE_URL": url, "FETCH_RETRIES": "10", "MODE": "destination", "BUCKET": "handoff", "KEY_PREFIX": "fetches/",
				"SPILL": "true", "ASYNC_LIMIT_BYTES": "262144", "RECORD_MARGIN_BYTES": "2048"}},
		{name: "a zero margin is written, not taken for the default",
			s: noMargin,
			env: map[string]string{"SOURCE_URL": url, "MODE": "destination", "KEY_PREFIX": "fetches/", "SPILL": "false",
				"ASYNC_LIMIT_BYTES": "1048576", "RECORD_MARGIN_BYTES": "0"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			envvartest.RoundTrip(t, tc.s, tc.env, Settings.Env, SettingsFromEnv)
		})
	}
}

// TestNewSettings: NewSettings is what an environment of only SOURCE_URL and
// ASYNC_LIMIT_BYTES parses to.
func TestNewSettings(t *testing.T) {
	const url = "https://x/"
	got := NewSettings(url, 262_144)
	parsed, err := SettingsFromEnv(func(k string) string {
		return map[string]string{"SOURCE_URL": url, "ASYNC_LIMIT_BYTES": "262144"}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, parsed) {
		t.Errorf("NewSettings = %+v\nparsed      %+v", got, parsed)
	}
	// ⌊262,144 × 5 / 100⌋ = ⌊13,107.2⌋ = 13,107 bytes of margin; 2 retries; destination mode.
	if got.RecordMarginBytes != 13_107 || got.Source.Config.Retries != 2 || got.Mode != ModeDestination || got.KeyPrefix != "fetches/" {
		t.Errorf("NewSettings = %+v", got)
	}
}
