// Package writer is the logic behind the writer function (lambdas/writer): it routes the
// invocation payload (destination record, S3 pointer, S3 event notification or bare
// envelope), fetches the envelope from S3 when the payload only points at it, decodes it
// with a size cap and stores it through handlers/store.
package writer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/lambdabridge/lambdabridge/handlers/blob"
	"github.com/lambdabridge/lambdabridge/handlers/envelope"
	"github.com/lambdabridge/lambdabridge/handlers/envvar"
	"github.com/lambdabridge/lambdabridge/handlers/event"
	"github.com/lambdabridge/lambdabridge/handlers/source"
	"github.com/lambdabridge/lambdabridge/handlers/store"
)

// DefaultMaxRawBytes caps a decoded body when MAX_RAW_BYTES is unset: the fetcher's default
// body cap, so that whatever a default fetcher sends, a default writer accepts.
const DefaultMaxRawBytes = source.DefaultMaxBodyBytes

// Storer stores one decoded fetch (*store.Store).
type Storer interface {
	Put(ctx context.Context, f store.Fetch) (store.Result, error)
}

// Blobs reads envelopes from S3 (*blob.Store).
type Blobs interface {
	Get(ctx context.Context, p *envelope.Pointer) (*envelope.Envelope, error)
	GetKey(ctx context.Context, bucket, key string) (*envelope.Envelope, error)
}

// Writer handles writer invocations.
type Writer struct {
	Store       Storer
	Blobs       Blobs // nil: pointers and S3 events are refused
	MaxRawBytes int64
	Log         *slog.Logger
	Now         func() time.Time
}

// Stored describes one fetch the invocation stored (or found already stored).
type Stored struct {
	ID        int64     `json:"id"`
	New       bool      `json:"new"`
	Source    string    `json:"source"`
	FetchedAt time.Time `json:"fetchedAt"`
	SHA256    string    `json:"sha256"`
	RawLength int64     `json:"rawLength"`
	BodyType  string    `json:"bodyType"`
	Elements  int       `json:"elements,omitempty"`
	Upserted  int64     `json:"upserted,omitempty"`
	// ScheduledAt is the scheduled run the fetch served (nil: started by hand); New is false
	// when that run was already stored by another fetch.
	ScheduledAt *time.Time `json:"scheduledAt,omitempty"`
}

// NewStored describes the fetch e as stored by res, its source URL made safe to return.
// The relay reports its store the same way.
func NewStored(e *envelope.Envelope, res store.Result) Stored {
	return Stored{ID: res.ID, New: res.New, Source: source.SafeURL(e.Source), FetchedAt: e.FetchedAt, SHA256: e.SHA256,
		RawLength: e.RawLength, BodyType: res.BodyType, Elements: res.Elements, Upserted: res.Upserted, ScheduledAt: e.ScheduledAt}
}

// Output is the writer's response: what it received and what it stored. It never contains
// the body.
type Output struct {
	Kind    event.Kind `json:"kind"`
	Inner   event.Kind `json:"inner"`
	Fetches []Stored   `json:"fetches"`
}

// Handle processes one invocation payload. An error leaves the database unchanged for the
// fetch that failed (each fetch is stored in its own transaction) and makes Lambda retry;
// retries are harmless because storing is idempotent.
func (w *Writer) Handle(ctx context.Context, payload json.RawMessage) (Output, error) {
	start := w.now()
	log := w.logger().With("requestId", requestID(ctx), "eventBytes", len(payload))
	d, err := event.Route(payload)
	if err != nil {
		log.Error("refused event", "error", err.Error())
		return Output{}, fmt.Errorf("writer: %w", err)
	}
	log = log.With("kind", d.Kind, "inner", d.Inner())
	if d.Record != nil {
		log = log.With("fetchRequestId", d.Record.RequestContext.RequestID, "invokeCount", d.Record.RequestContext.ApproximateInvokeCount)
	}
	out := Output{Kind: d.Kind, Inner: d.Inner()}
	delivered := string(d.Kind)
	if d.Inner() != d.Kind {
		delivered += "/" + string(d.Inner())
	}
	fetchReq := ""
	if d.Record != nil {
		fetchReq = d.Record.RequestContext.RequestID
	}
	envs, err := w.envelopes(ctx, d)
	if err != nil {
		log.Error("get envelope", "error", err.Error(), "durationMs", ms(w.now().Sub(start)))
		return Output{}, err
	}
	for _, e := range envs {
		t := w.now()
		raw, err := e.Decode(w.maxRaw())
		if err != nil {
			log.Error("decode envelope", "error", err.Error(), "source", source.SafeURL(e.Source), "compressedBytes", e.CompressedLength, "rawBytes", e.RawLength)
			return Output{}, fmt.Errorf("writer: envelope of %s fetched at %s: %w", source.SafeURL(e.Source), e.FetchedAt.Format(time.RFC3339Nano), err)
		}
		decoded := w.now()
		res, err := w.Store.Put(ctx, store.Fetch{Envelope: e, Raw: raw, DeliveredAs: delivered, FetchRequestID: fetchReq})
		if err != nil {
			log.Error("store", "error", err.Error(), "source", source.SafeURL(e.Source), "rawBytes", len(raw))
			return Output{}, fmt.Errorf("writer: %w", err)
		}
		log.Info("stored",
			"source", source.SafeURL(e.Source), "fetchedAt", e.FetchedAt, "sha256", e.SHA256,
			"compressedBytes", e.CompressedLength, "rawBytes", len(raw), "bodyType", res.BodyType,
			"id", res.ID, "new", res.New, "elements", res.Elements, "upserted", res.Upserted,
			"decodeMs", ms(decoded.Sub(t)), "storeMs", ms(w.now().Sub(decoded)))
		out.Fetches = append(out.Fetches, NewStored(e, res))
	}
	log.Info("done", "fetches", len(out.Fetches), "durationMs", ms(w.now().Sub(start)))
	return out, nil
}

// envelopes returns the envelope(s) a delivery carries, reading S3 where it only points.
func (w *Writer) envelopes(ctx context.Context, d event.Delivery) ([]*envelope.Envelope, error) {
	switch {
	case d.Envelope != nil:
		return []*envelope.Envelope{d.Envelope}, nil
	case d.Pointer != nil:
		if w.Blobs == nil {
			return nil, errors.New("writer: got an s3-pointer but no S3 client is configured")
		}
		e, err := w.Blobs.Get(ctx, d.Pointer)
		if err != nil {
			return nil, fmt.Errorf("writer: %w", err)
		}
		return []*envelope.Envelope{e}, nil
	default:
		if w.Blobs == nil {
			return nil, errors.New("writer: got an S3 event notification but no S3 client is configured")
		}
		envs := make([]*envelope.Envelope, 0, len(d.Objects))
		for _, o := range d.Objects {
			e, err := w.Blobs.GetKey(ctx, o.Bucket, o.Key)
			if err != nil {
				return nil, fmt.Errorf("writer: %w", err)
			}
			envs = append(envs, e)
		}
		return envs, nil
	}
}

func (w *Writer) maxRaw() int64 {
	if w.MaxRawBytes > 0 {
		return w.MaxRawBytes
	}
	return DefaultMaxRawBytes
}

func (w *Writer) logger() *slog.Logger {
	if w.Log != nil {
		return w.Log
	}
	return slog.Default()
}

func (w *Writer) now() time.Time {
	if w.Now != nil {
		return w.Now()
	}
	return time.Now()
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func requestID(ctx context.Context) string {
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		return lc.AwsRequestID
	}
	return ""
}

// The writer's own variables (the store's are store.Config's).
const (
	varBucket    = "BUCKET"
	varMaxRaw    = "MAX_RAW_BYTES"
	varPathStyle = "S3_FORCE_PATH_STYLE"
)

// Settings is the writer's environment, read once at cold start (SettingsFromEnv) and rendered
// by infra and the local pipeline (Env).
type Settings struct {
	// Store is the database part (DATABASE_URL or the PG* variables, DB_AUTH, RECORDS_*,
	// DB_ADMIN_*): store.Config's own Env and ConfigFromEnv.
	Store store.Config
	// Bucket is BUCKET, the handoff bucket S3 pointers and notifications must name (empty:
	// any bucket the function may read).
	Bucket string
	// MaxRawBytes is MAX_RAW_BYTES, the cap on a decoded body (unset: DefaultMaxRawBytes).
	MaxRawBytes int64
	// ForcePathStyle is S3_FORCE_PATH_STYLE: path-style S3 addressing (local S3 servers).
	ForcePathStyle bool
}

// Env renders the writer's environment, which SettingsFromEnv parses back to s. MaxRawBytes is
// left out at its default (or zero, which means the default).
func (s Settings) Env() map[string]string {
	e := envvar.Vars(s.Store.Env())
	e.String(varBucket, s.Bucket)
	if s.MaxRawBytes != 0 && s.MaxRawBytes != DefaultMaxRawBytes {
		e.Int(varMaxRaw, s.MaxRawBytes)
	}
	e.Bool(varPathStyle, s.ForcePathStyle)
	return e
}

// SettingsFromEnv reads and validates the writer's settings through getenv (os.Getenv in
// main): the store's (store.ConfigFromEnv), BUCKET, MAX_RAW_BYTES (a positive byte count)
// and S3_FORCE_PATH_STYLE. Every error names the variable and the accepted form.
func SettingsFromEnv(getenv func(string) string) (Settings, error) {
	r := envvar.NewReader(getenv)
	s := Settings{Bucket: r.String(varBucket), MaxRawBytes: DefaultMaxRawBytes, ForcePathStyle: r.Bool(varPathStyle)}
	if n, set := r.PositiveBytes(varMaxRaw); set {
		s.MaxRawBytes = n
	}
	if err := r.Err("writer settings"); err != nil {
		return Settings{}, err
	}
	sc, err := store.ConfigFromEnv(getenv)
	if err != nil {
		return Settings{}, err
	}
	s.Store = sc
	return s, nil
}

// NewFromEnv builds the writer a Lambda cold start needs from the environment
// (SettingsFromEnv): the store, the S3 reader (the SDK reads AWS_ENDPOINT_URL_S3 itself) and
// the body cap. It does not connect to the database; call Warm. The returned close function
// releases the connection.
func NewFromEnv(ctx context.Context, getenv func(string) string, log *slog.Logger) (*Writer, func(), error) {
	s, err := SettingsFromEnv(getenv)
	if err != nil {
		return nil, nil, err
	}
	st, err := OpenStore(ctx, s.Store)
	if err != nil {
		return nil, nil, err
	}
	s3c, err := blob.NewS3Client(ctx, s.ForcePathStyle)
	if err != nil {
		st.Close()
		return nil, nil, fmt.Errorf("writer settings: %w", err)
	}
	w := &Writer{
		Store:       st,
		Blobs:       &blob.Store{Client: s3c, Bucket: s.Bucket},
		MaxRawBytes: s.MaxRawBytes,
		Log:         log,
	}
	return w, st.Close, nil
}

// OpenStore opens the store sc describes, with AWS credentials and region from the default
// chain when sc.Auth is store.AuthIAM. It does not connect. The writer and the relay share it.
func OpenStore(ctx context.Context, sc store.Config) (*store.Store, error) {
	if sc.Auth == store.AuthIAM {
		awsCfg, err := config.LoadDefaultConfig(ctx)
		if err != nil {
			return nil, fmt.Errorf("store config: load AWS config for the IAM token: %w", err)
		}
		sc.Credentials = awsCfg.Credentials
		if sc.Region == "" {
			sc.Region = awsCfg.Region
		}
	}
	return store.Open(ctx, sc)
}

// Setupper runs the one-time database setup (*store.Store).
type Setupper interface {
	Setup(ctx context.Context, adminUser, adminPassword string) (store.SetupResult, error)
}

// Setup handles the deploy's database-setup invocation (store.SetupEvent) for any storing
// function: ok is false for any other payload, which is the handler's to process. The
// admin's password arrives in the payload only; it is never logged nor kept.
func Setup(ctx context.Context, st any, raw json.RawMessage, log *slog.Logger) (result any, ok bool, err error) {
	ev, ok, err := store.ParseSetupEvent(raw)
	if !ok {
		return nil, false, nil
	}
	if err == nil {
		s, can := st.(Setupper)
		if !can {
			return nil, true, errors.New("database setup: this store cannot run it")
		}
		var res store.SetupResult
		if res, err = s.Setup(ctx, ev.AdminUser, ev.AdminPassword); err == nil {
			log.Info("database setup done", "writer", res.Writer, "schemaVersion", res.SchemaVersion)
			return res, true, nil
		}
	}
	log.Error("database setup failed", "error", err.Error())
	return nil, true, fmt.Errorf("database setup: %w", err)
}

// Setup handles the deploy's database-setup invocation (see the package function Setup).
func (w *Writer) Setup(ctx context.Context, raw json.RawMessage) (any, bool, error) {
	return Setup(ctx, w.Store, raw, w.logger())
}

// Warm connects and migrates the schema at cold start when the store supports it. A failure
// is logged, not fatal: the first invocation tries again and reports the error.
func (w *Writer) Warm(ctx context.Context) {
	type ensurer interface{ Ensure(context.Context) error }
	if e, ok := w.Store.(ensurer); ok {
		start := w.now()
		if err := e.Ensure(ctx); err != nil {
			w.logger().Warn("cold start: schema not ready, will retry on first invocation", "error", err.Error())
			return
		}
		w.logger().Info("cold start: schema ready", "durationMs", ms(w.now().Sub(start)))
	}
}
