package lambdamain

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"testing"

	"github.com/lambdabridge/lambdabridge/handlers/store"
	"github.com/lambdabridge/lambdabridge/handlers/writer"
)

// setupStore records the setup it is asked for.
type setupStore struct {
	user, password string
	err            error
}

func (s *setupStore) Setup(_ context.Context, user, password string) (store.SetupResult, error) {
	s.user, s.password = user, password
	return store.SetupResult{Writer: "writer", SchemaVersion: 4}, s.err
}

// TestDispatch: the deploy's setup event goes to the setup (its error is the invocation's, so
// the deploy fails), every other payload to Handle.
func TestDispatch(t *testing.T) {
	setupEv, err := store.NewSetupEvent("lbadmin", "master-secret")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name      string
		payload   string
		setupErr  error
		wantSetup bool
		wantErr   bool
	}{
		{"setup", string(setupEv), nil, true, false},
		{"setup fails", string(setupEv), errors.New("connect refused"), true, true},
		{"a data event", `{"version":"1.0"}`, nil, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := &setupStore{err: tc.setupErr}
			handled := false
			log := slog.New(slog.NewTextHandler(io.Discard, nil))
			h := Handler[string]{
				Handle: func(context.Context, json.RawMessage) (string, error) { handled = true; return "handled", nil },
				Setup: func(ctx context.Context, raw json.RawMessage) (any, bool, error) {
					return writer.Setup(ctx, st, raw, log)
				},
			}
			out, err := h.Dispatch(context.Background(), json.RawMessage(tc.payload))
			if (err != nil) != tc.wantErr || handled == tc.wantSetup || (st.user != "") != tc.wantSetup {
				t.Fatalf("out %v err %v, handled %v, setup as %q; want setup %v error %v", out, err, handled, st.user, tc.wantSetup, tc.wantErr)
			}
			if tc.wantSetup && (st.user != "lbadmin" || st.password != "master-secret") {
				t.Errorf("setup with %q/%q", st.user, st.password)
			}
			if tc.wantSetup && !tc.wantErr {
				if res, ok := out.(store.SetupResult); !ok || res.SchemaVersion != 4 {
					t.Errorf("result %#v", out)
				}
			}
		})
	}
}
