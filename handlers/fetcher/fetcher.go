// Package fetcher is the logic of the fetcher Lambda function (lambdas/fetcher is its thin main):
// fetch the source, wrap the body in an envelope, and return either the envelope (for an
// onSuccess Lambda destination to carry), or — when the destination invocation record would
// not fit the async payload limit and spill is on, or always in s3 mode — a pointer to the
// envelope PUT to S3. Each run writes one Embedded Metric Format line with its sizes and one
// structured log line; neither ever holds a header value, the URL's query or the payload.
//
// The envelope's "source" is SOURCE_URL as configured, query included (it identifies the data
// stored): put credentials in SOURCE_HEADERS, never in the URL.
package fetcher

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/lambdabridge/lambdabridge/handlers/blob"
	"github.com/lambdabridge/lambdabridge/handlers/envelope"
	"github.com/lambdabridge/lambdabridge/handlers/event"
	"github.com/lambdabridge/lambdabridge/handlers/metrics"
	"github.com/lambdabridge/lambdabridge/handlers/source"
)

// Outcomes, logged and written as the EMF line's "Outcome" property.
const (
	OutcomeDestination = "destination" // the envelope is returned inline
	OutcomeSpilled     = "spilled"     // too big for the record: PUT to S3, pointer returned
	OutcomeS3          = "s3"          // MODE=s3: PUT to S3, pointer returned
	OutcomeTooLarge    = "too-large"   // too big and no spill: the invocation fails
)

// ErrRecordTooLarge is wrapped by Handle's error when the record would exceed the limit and
// spilling is off.
var ErrRecordTooLarge = errors.New("destination record would exceed the async payload limit")

// Placeholders used for the record-size computation when the context carries no Lambda
// context (tests, local runs): same lengths as a real request id and a typical ARN.
const (
	placeholderRequestID = "00000000-0000-0000-0000-000000000000"
	placeholderARN       = "arn:aws:lambda:us-east-1:000000000000:function:lambdabridge-fetcher"
)

// Fetcher handles invocations. Build it with New; the exported fields may be replaced in tests.
type Fetcher struct {
	cfg    Settings
	source *source.Fetcher
	// Blob writes envelopes to S3; nil unless the configuration needs a bucket.
	Blob *blob.Store
	// Metrics receives the EMF line (os.Stdout in Lambda).
	Metrics io.Writer
	// Logger receives the run's structured log line (NewLogger adds the request id).
	Logger *slog.Logger
	// Now is the clock used for the record timestamp and durations.
	Now func() time.Time
	// FunctionName is the EMF dimension value (lambdacontext.FunctionName in Lambda).
	FunctionName string
	// headers reads the secret request headers before the first fetch (UseSecretHeaders);
	// nil when the source has none in a secret store.
	headers *headerLoader
}

// New builds a Fetcher for cfg. s3 is required when cfg.NeedsBucket().
func New(cfg Settings, s3 blob.S3API, logger *slog.Logger, metricsOut io.Writer) (*Fetcher, error) {
	src, err := source.New(cfg.Source.Config)
	if err != nil {
		return nil, fmt.Errorf("fetcher: %w", err)
	}
	src.Logger = logger
	f := &Fetcher{cfg: cfg, source: src, Metrics: metricsOut, Logger: logger, Now: time.Now, FunctionName: lambdacontext.FunctionName}
	if cfg.NeedsBucket() {
		if s3 == nil {
			return nil, errors.New("fetcher: an S3 client is required for MODE=s3 or SPILL=true")
		}
		f.Blob = &blob.Store{Client: s3, Bucket: cfg.Bucket, Prefix: cfg.KeyPrefix}
	}
	return f, nil
}

// Source returns the underlying HTTP source, e.g. to replace its clock in tests.
func (f *Fetcher) Source() *source.Fetcher { return f.source }

// FetchEnvelope fetches the source and encodes the body for the invocation with requestEvent:
// when that is the schedule's event, the envelope carries its run's scheduled time and
// execution id (event.ParseScheduledRun), the identity the store keeps one row per; a run
// started by hand has neither. The relay uses it directly.
func (f *Fetcher) FetchEnvelope(ctx context.Context, requestEvent []byte) (*envelope.Envelope, *source.Result, error) {
	if err := f.loadHeaders(ctx); err != nil {
		return nil, nil, err
	}
	res, err := f.source.Fetch(ctx)
	if err != nil {
		return nil, nil, err
	}
	run, _ := event.ParseScheduledRun(requestEvent)
	e, err := envelope.Encode(res.Body, envelope.Meta{
		Source:      f.cfg.Source.Config.URL,
		FetchedAt:   res.FetchedAt,
		Status:      res.Status,
		ContentType: res.ContentType,
		ScheduledAt: run.Time,
		ExecutionID: run.ExecutionID,
	})
	if err != nil {
		return nil, nil, fmt.Errorf("fetcher: encode envelope: %w", err)
	}
	return e, res, nil
}

// Handle is the Lambda handler: requestEvent is the scheduler's event, byte for byte (it
// becomes the record's requestPayload, so its size counts against the limit).
func (f *Fetcher) Handle(ctx context.Context, requestEvent json.RawMessage) (json.RawMessage, error) {
	start := f.Now()
	requestID, functionARN := lambdaIdentity(ctx)
	log := f.Logger // NewLogger adds the request id from ctx

	e, res, err := f.FetchEnvelope(ctx, requestEvent)
	if err != nil {
		log.LogAttrs(ctx, slog.LevelError, "fetch failed", slog.String("error", err.Error()),
			slog.Int64("durationMs", f.Now().Sub(start).Milliseconds()))
		return nil, err
	}
	fetchMs := f.Now().Sub(start).Milliseconds()

	var (
		out        []byte
		outcome    string
		recordSize int64
		inlineSize int64 // record size had the envelope been returned inline
		ptr        *envelope.Pointer
	)
	spill := func() error {
		if ptr, err = f.Blob.Put(ctx, e); err != nil {
			return err
		}
		out, err = marshal(ptr)
		return err
	}
	switch f.cfg.Mode {
	case ModeS3:
		outcome = OutcomeS3
		err = spill()
	default:
		if out, err = marshal(e); err != nil {
			break
		}
		if inlineSize, err = RecordSize(requestID, functionARN, f.Now(), requestEvent, out); err != nil {
			break
		}
		switch {
		case inlineSize+f.cfg.RecordMarginBytes <= f.cfg.AsyncLimitBytes:
			outcome = OutcomeDestination
			recordSize = inlineSize // the record carries out as measured
		case f.cfg.Spill:
			outcome = OutcomeSpilled
			err = spill()
		default:
			outcome = OutcomeTooLarge
			recordSize = inlineSize
			err = fmt.Errorf("fetcher: %w: the record would be %d bytes (envelope %d bytes for a %d-byte body) plus a %d-byte margin = %d bytes, over the limit of %d bytes; set SPILL=true with a BUCKET, or use MODE=s3",
				ErrRecordTooLarge, inlineSize, len(out), e.RawLength, f.cfg.RecordMarginBytes, inlineSize+f.cfg.RecordMarginBytes, f.cfg.AsyncLimitBytes)
		}
	}
	if err == nil && ptr != nil {
		// The pointer replaced the envelope: measure the record that carries it.
		recordSize, err = RecordSize(requestID, functionARN, f.Now(), requestEvent, out)
	}

	attrs := []slog.Attr{
		slog.String("mode", f.cfg.Mode), slog.String("outcome", outcome),
		slog.Int64("rawBytes", e.RawLength), slog.Int64("compressedBytes", e.CompressedLength),
		slog.Int64("recordBytes", recordSize), slog.Int64("limitBytes", f.cfg.AsyncLimitBytes),
		slog.Int("status", res.Status), slog.Int("attempts", res.Attempts),
		slog.Int64("fetchMs", fetchMs), slog.Int64("durationMs", f.Now().Sub(start).Milliseconds()),
	}
	if inlineSize > 0 && outcome == OutcomeSpilled {
		attrs = append(attrs, slog.Int64("inlineRecordBytes", inlineSize))
	}
	if ptr != nil {
		attrs = append(attrs, slog.String("bucket", ptr.Bucket), slog.String("key", ptr.Key))
	}
	if recordSize > 0 {
		props := map[string]any{"Outcome": outcome, "Mode": f.cfg.Mode}
		if requestID != placeholderRequestID {
			props["RequestId"] = requestID
		}
		if merr := metrics.Write(f.Metrics, f.FunctionName, f.Now(), metrics.Sizes{
			Raw: e.RawLength, Compressed: e.CompressedLength, Record: recordSize, Limit: f.cfg.AsyncLimitBytes,
		}, props); merr != nil {
			log.LogAttrs(ctx, slog.LevelWarn, "EMF line not written", slog.String("error", merr.Error()))
		}
	}
	if err != nil {
		attrs = append(attrs, slog.String("error", err.Error()))
		log.LogAttrs(ctx, slog.LevelError, "fetch not delivered", attrs...)
		return nil, err
	}
	log.LogAttrs(ctx, slog.LevelInfo, "fetched", attrs...)
	return out, nil
}

// marshal encodes v as compact JSON without HTML escaping (as aws-lambda-go encodes a
// response), so the bytes measured are the bytes Lambda receives.
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("fetcher: marshal response: %w", err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// RecordSize is the size in bytes of the onSuccess destination record Lambda builds for an
// invocation with requestPayload that returned responsePayload (event.NewSuccessRecord).
func RecordSize(requestID, functionARN string, at time.Time, requestPayload, responsePayload []byte) (int64, error) {
	rec, err := event.NewSuccessRecord(requestID, functionARN, at, requestPayload, responsePayload).Marshal()
	if err != nil {
		return 0, fmt.Errorf("fetcher: record size: %w", err)
	}
	return int64(len(rec)), nil
}

// InlineRecordSize is the size of the onSuccess destination record that would carry e inline
// for the invocation in ctx (request id and ARN from its Lambda context, placeholders of the
// same length outside Lambda) with requestEvent as its request payload. The relay reports it
// as the size a split topology would need.
func InlineRecordSize(ctx context.Context, at time.Time, requestEvent []byte, e *envelope.Envelope) (int64, error) {
	out, err := marshal(e)
	if err != nil {
		return 0, err
	}
	requestID, functionARN := lambdaIdentity(ctx)
	return RecordSize(requestID, functionARN, at, requestEvent, out)
}

// lambdaIdentity returns the request id and the function ARN as the record names it. Lambda's
// record carries the qualified ARN (…:function:name:$LATEST for an unqualified invoke).
func lambdaIdentity(ctx context.Context) (requestID, functionARN string) {
	requestID, functionARN = placeholderRequestID, placeholderARN
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		if lc.AwsRequestID != "" {
			requestID = lc.AwsRequestID
		}
		if lc.InvokedFunctionArn != "" {
			functionARN = lc.InvokedFunctionArn
		}
	}
	// arn:aws:lambda:region:account:function:name has 7 parts; a qualifier makes 8.
	if strings.Count(functionARN, ":") == 6 {
		functionARN += ":$LATEST"
	}
	return requestID, functionARN
}
