// Package relay is the relay function's logic: the single VPC function of the nat-gateway,
// nat-instance and ipv6 topologies fetches the source (handlers/fetcher's HTTP half) and stores
// the body in PostgreSQL (handlers/store) in one invocation, writing the fetcher's EMF
// guardrail line. Its environment (Settings) is the fetcher's source part, the async limit and
// the writer's store part. The bootstrap is lambdas/relay.
package relay

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/lambdabridge/lambdabridge/handlers/envvar"
	"github.com/lambdabridge/lambdabridge/handlers/fetcher"
	"github.com/lambdabridge/lambdabridge/handlers/metrics"
	"github.com/lambdabridge/lambdabridge/handlers/store"
	"github.com/lambdabridge/lambdabridge/handlers/writer"
)

// deliveredAs is the fetches.delivered_as value of a relayed fetch.
const deliveredAs = "relay"

// Storer stores one fetch (*store.Store); the relay's only need of the database.
type Storer interface {
	Put(ctx context.Context, f store.Fetch) (store.Result, error)
}

// Relay fetches the source and stores the body in one invocation.
type Relay struct {
	fetch        *fetcher.Fetcher
	store        Storer
	limit        int64 // ASYNC_LIMIT_BYTES: the guardrail's reference (what a split topology could carry)
	metrics      io.Writer
	log          *slog.Logger
	now          func() time.Time
	functionName string
}

// Settings is the relay's environment: the fetcher's source part, the async limit it reports
// against and the writer's store part. SettingsFromEnv parses it, Env renders it.
type Settings struct {
	// Source is what to fetch and how (the fetcher's variables: SOURCE_URL, timeouts,
	// retries, caps, SOURCE_HEADERS).
	Source fetcher.SourceSettings
	// AsyncLimitBytes is ASYNC_LIMIT_BYTES (required): the relay reports the size its
	// envelope would have as a destination record against it.
	AsyncLimitBytes int64
	// Store is the database part (the writer's: DATABASE_URL or the PG* variables, DB_AUTH,
	// RECORDS_*, DB_ADMIN_*).
	Store store.Config
}

// Env renders the relay's environment, which SettingsFromEnv parses back to s.
func (s Settings) Env() map[string]string {
	e := envvar.Vars(s.Source.Env())
	if s.AsyncLimitBytes > 0 {
		e.Int(fetcher.AsyncLimitVar, s.AsyncLimitBytes)
	}
	e.Add(s.Store.Env())
	return e
}

// SettingsFromEnv reads and validates the relay's settings through getenv (os.Getenv in
// main). Every error names the variable and the accepted form. The fetcher's MODE, SPILL,
// BUCKET and KEY_PREFIX are not the relay's: it always stores directly.
func SettingsFromEnv(getenv func(string) string) (Settings, error) {
	src, err := fetcher.SourceSettingsFromEnv(getenv)
	if err != nil {
		return Settings{}, fmt.Errorf("relay: %w", err)
	}
	r := envvar.NewReader(getenv)
	limit, set := r.Bytes(fetcher.AsyncLimitVar)
	if err := r.Err("relay settings"); err != nil {
		return Settings{}, err
	}
	if !set || limit == 0 {
		return Settings{}, errors.New("relay settings: ASYNC_LIMIT_BYTES is required (the async payload limit from the price book; the relay reports the size its envelope would have as a destination record against it)")
	}
	sc, err := store.ConfigFromEnv(getenv)
	if err != nil {
		return Settings{}, fmt.Errorf("relay: %w", err)
	}
	return Settings{Source: src, AsyncLimitBytes: limit, Store: sc}, nil
}

// NewFromEnv builds the relay from the environment (SettingsFromEnv). It does not connect to
// the database; call Warm. The returned close function releases the connection.
func NewFromEnv(ctx context.Context, getenv func(string) string, stdout io.Writer) (*Relay, func(), error) {
	s, err := SettingsFromEnv(getenv)
	if err != nil {
		return nil, nil, err
	}
	logger := fetcher.NewLogger(stdout, slog.LevelInfo)
	// The fetcher's HTTP half: destination mode, never spilling (the relay stores directly).
	f, err := fetcher.New(fetcher.Settings{Source: s.Source, Mode: fetcher.ModeDestination, AsyncLimitBytes: s.AsyncLimitBytes}, nil, logger, stdout)
	if err != nil {
		return nil, nil, fmt.Errorf("relay: %w", err)
	}
	if err := fetcher.SecretHeadersFromEnv(ctx, f, s.Source); err != nil {
		return nil, nil, fmt.Errorf("relay: %w", err)
	}
	st, err := writer.OpenStore(ctx, s.Store)
	if err != nil {
		return nil, nil, fmt.Errorf("relay: %w", err)
	}
	return &Relay{fetch: f, store: st, limit: s.AsyncLimitBytes, metrics: stdout, log: logger, now: time.Now,
		functionName: lambdacontext.FunctionName}, st.Close, nil
}

// Handle fetches the source, stores the body and writes one EMF line (the fetcher's
// guardrail metrics, RecordBytes being the record the envelope would need in a split
// topology) and one log line. It returns what it stored, never the body.
func (r *Relay) Handle(ctx context.Context, requestEvent json.RawMessage) (writer.Stored, error) {
	start := r.now()
	e, res, err := r.fetch.FetchEnvelope(ctx, requestEvent)
	if err != nil {
		r.log.LogAttrs(ctx, slog.LevelError, "fetch failed", slog.String("error", err.Error()), slog.Float64("durationMs", ms(r.now().Sub(start))))
		return writer.Stored{}, fmt.Errorf("relay: %w", err)
	}
	fetched := r.now()
	recordBytes, err := fetcher.InlineRecordSize(ctx, r.now(), requestEvent, e)
	if err != nil {
		return writer.Stored{}, fmt.Errorf("relay: %w", err)
	}
	reqID := ""
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		reqID = lc.AwsRequestID
	}
	sr, err := r.store.Put(ctx, store.Fetch{Envelope: e, Raw: res.Body, DeliveredAs: deliveredAs, FetchRequestID: reqID})
	if err != nil {
		r.log.LogAttrs(ctx, slog.LevelError, "store failed", slog.String("error", err.Error()),
			slog.Int64("rawBytes", e.RawLength), slog.Float64("durationMs", ms(r.now().Sub(start))))
		return writer.Stored{}, fmt.Errorf("relay: %w", err)
	}
	if merr := metrics.Write(r.metrics, r.functionName, r.now(), metrics.Sizes{
		Raw: e.RawLength, Compressed: e.CompressedLength, Record: recordBytes, Limit: r.limit,
	}, map[string]any{"Outcome": deliveredAs, "Mode": deliveredAs}); merr != nil {
		r.log.LogAttrs(ctx, slog.LevelWarn, "EMF line not written", slog.String("error", merr.Error()))
	}
	r.log.LogAttrs(ctx, slog.LevelInfo, "relayed",
		slog.Int("status", res.Status), slog.Int("attempts", res.Attempts),
		slog.Int64("rawBytes", e.RawLength), slog.Int64("compressedBytes", e.CompressedLength), slog.Int64("recordBytes", recordBytes),
		slog.String("bodyType", sr.BodyType), slog.Int64("id", sr.ID), slog.Bool("new", sr.New),
		slog.Int("elements", sr.Elements), slog.Int64("upserted", sr.Upserted),
		slog.Float64("fetchMs", ms(fetched.Sub(start))), slog.Float64("storeMs", ms(r.now().Sub(fetched))),
		slog.Float64("durationMs", ms(r.now().Sub(start))))
	return writer.NewStored(e, sr), nil
}

// Setup handles the deploy's database-setup invocation (writer.Setup): ok is false for any
// other payload.
func (r *Relay) Setup(ctx context.Context, raw json.RawMessage) (any, bool, error) {
	return writer.Setup(ctx, r.store, raw, r.log)
}

// Warm connects and migrates the schema at cold start when the store supports it. A failure
// is logged, not fatal: the first invocation tries again and reports the error.
func (r *Relay) Warm(ctx context.Context) {
	if e, ok := r.store.(interface{ Ensure(context.Context) error }); ok {
		if err := e.Ensure(ctx); err != nil {
			r.log.Warn("cold start: schema not ready, will retry on first invocation", "error", err.Error())
		}
	}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
