// Package event tells apart the shapes of event the writer can be invoked with and decodes
// them: a Lambda destination invocation record (what Lambda hands an onSuccess/onFailure
// Lambda destination), an S3 pointer (the fetcher's s3-mode response), an S3 event
// notification, and a bare envelope (tests and redrive).
//
// It also builds destination records byte-for-byte the way Lambda does (NewSuccessRecord and
// Record.Marshal), for the fetcher's record-size check and for the local pipeline.
package event

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/lambdabridge/lambdabridge/handlers/envelope"
)

// RecordVersion is the "version" Lambda writes into every destination invocation record.
const RecordVersion = "1.0"

// TimestampLayout is the layout of Record.Timestamp: UTC with milliseconds and a "Z", as in
// the AWS documentation's example "2019-11-14T18:16:05.568Z".
const TimestampLayout = "2006-01-02T15:04:05.000Z"

// Conditions Lambda writes into RequestContext.Condition.
const (
	// ConditionSuccess is the condition of a record sent to an onSuccess destination.
	ConditionSuccess = "Success"
	// ConditionRetriesExhausted is the condition of a record whose invocation failed on every attempt.
	ConditionRetriesExhausted = "RetriesExhausted"
	// ConditionEventAgeExceeded is the condition of a record whose event expired in Lambda's queue.
	ConditionEventAgeExceeded = "EventAgeExceeded"
)

// Record is a Lambda destination invocation record. The field order is the order AWS
// documents and Lambda writes, so Marshal reproduces Lambda's bytes.
type Record struct {
	Version         string          `json:"version"`
	Timestamp       string          `json:"timestamp"`
	RequestContext  RequestContext  `json:"requestContext"`
	RequestPayload  json.RawMessage `json:"requestPayload"`
	ResponseContext ResponseContext `json:"responseContext"`
	ResponsePayload json.RawMessage `json:"responsePayload"`
}

// RequestContext is the "requestContext" object of a destination record.
type RequestContext struct {
	RequestID              string `json:"requestId"`
	FunctionARN            string `json:"functionArn"`
	Condition              string `json:"condition"`
	ApproximateInvokeCount int    `json:"approximateInvokeCount"`
}

// ResponseContext is the "responseContext" object of a destination record. FunctionError is
// "Handled" or "Unhandled" on a failure record and absent on a success record.
type ResponseContext struct {
	StatusCode      int    `json:"statusCode"`
	ExecutedVersion string `json:"executedVersion"`
	FunctionError   string `json:"functionError,omitempty"`
}

// NewSuccessRecord builds the record Lambda sends to an onSuccess destination after the
// function with functionARN, invoked asynchronously with requestPayload under requestID,
// returned responsePayload at time at (first attempt, $LATEST, status 200). A nil or empty
// payload becomes JSON null, as Lambda writes for a function that returns nothing.
func NewSuccessRecord(requestID, functionARN string, at time.Time, requestPayload, responsePayload []byte) *Record {
	return &Record{
		Version:   RecordVersion,
		Timestamp: at.UTC().Format(TimestampLayout),
		RequestContext: RequestContext{
			RequestID:              requestID,
			FunctionARN:            functionARN,
			Condition:              ConditionSuccess,
			ApproximateInvokeCount: 1,
		},
		RequestPayload:  orNull(requestPayload),
		ResponseContext: ResponseContext{StatusCode: 200, ExecutedVersion: "$LATEST"},
		ResponsePayload: orNull(responsePayload),
	}
}

func orNull(b []byte) json.RawMessage {
	if len(bytes.TrimSpace(b)) == 0 {
		return json.RawMessage("null")
	}
	return json.RawMessage(b)
}

// Marshal returns the record as compact JSON in Lambda's field order, without HTML escaping
// and without a trailing newline. The payloads must be valid JSON; they are compacted.
func (r *Record) Marshal() ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(r); err != nil {
		return nil, fmt.Errorf("event: marshal destination record: %w", err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// Time parses the record's timestamp.
func (r *Record) Time() (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, r.Timestamp)
	if err != nil {
		return time.Time{}, fmt.Errorf("event: record timestamp %q: %w", r.Timestamp, err)
	}
	return t, nil
}

// Kind names a shape of event.
type Kind string

// The shapes Route accepts.
const (
	KindRecord   Kind = "destination-record"
	KindPointer  Kind = "s3-pointer"
	KindS3Event  Kind = "s3-event"
	KindEnvelope Kind = "envelope"
)

// acceptedShapes is the list quoted in an unknown-shape error.
const acceptedShapes = `a Lambda destination record ({"version":"1.0","requestContext":{...},"responsePayload":...}), ` +
	`an S3 pointer ({"kind":"s3-pointer","bucket":...,"key":...}), ` +
	`an S3 event notification ({"Records":[{"eventSource":"aws:s3",...}]}), ` +
	`or a bare envelope ({"version":1,"codec":"gzip","body":...})`

// ErrUnknownShape is wrapped by Route's error for a payload that is none of the accepted shapes.
var ErrUnknownShape = errors.New("event: unknown event shape")

// ErrNotSuccess is wrapped by the *FailureError Route returns for a record whose condition is
// not Success.
var ErrNotSuccess = errors.New("event: destination record is not a success")

// FailureError is Route's error for a destination record whose condition is not Success: the
// fetcher failed (RetriesExhausted) or its event expired (EventAgeExceeded), so the record
// carries no data to store.
type FailureError struct {
	Condition     string // e.g. RetriesExhausted, EventAgeExceeded
	FunctionError string // Handled, Unhandled or empty
	RequestID     string // the failed invocation's request id
	InvokeCount   int    // approximateInvokeCount
	ErrorType     string // responsePayload.errorType, if any
	ErrorMessage  string // responsePayload.errorMessage, if any (truncated)
}

// Error describes the refused record.
func (e *FailureError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "event: refusing destination record with condition %q (want %q): request %s, %d attempt(s)",
		e.Condition, ConditionSuccess, e.RequestID, e.InvokeCount)
	if e.FunctionError != "" {
		fmt.Fprintf(&b, ", functionError %q", e.FunctionError)
	}
	if e.ErrorType != "" || e.ErrorMessage != "" {
		fmt.Fprintf(&b, ", %s: %s", e.ErrorType, e.ErrorMessage)
	}
	return b.String()
}

// Unwrap makes errors.Is(err, ErrNotSuccess) true.
func (e *FailureError) Unwrap() error { return ErrNotSuccess }

// S3Object is one object named by an S3 event notification.
type S3Object struct {
	Bucket string
	Key    string // URL-decoded
	Size   int64
}

// Delivery is a routed event. Kind is the outer shape. Exactly one of Envelope, Pointer and
// Objects is set: the data to store, or where to get it. Record is set for KindRecord.
type Delivery struct {
	Kind     Kind
	Record   *Record
	Envelope *envelope.Envelope
	Pointer  *envelope.Pointer
	Objects  []S3Object
}

// Inner names what the delivery carries: KindEnvelope, KindPointer or KindS3Event.
func (d Delivery) Inner() Kind {
	switch {
	case d.Envelope != nil:
		return KindEnvelope
	case d.Pointer != nil:
		return KindPointer
	default:
		return KindS3Event
	}
}

// Route decodes raw into a Delivery. A destination record's responsePayload must be an
// envelope or an S3 pointer; a record whose condition is not Success is refused with a
// *FailureError; anything else is an error wrapping ErrUnknownShape that lists the shapes
// accepted.
func Route(raw []byte) (Delivery, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(raw, &top); err != nil {
		return Delivery{}, fmt.Errorf("%w: not a JSON object (%v); want %s", ErrUnknownShape, err, acceptedShapes)
	}
	switch {
	case has(top, "requestContext") && has(top, "responseContext"):
		return routeRecord(raw)
	case has(top, "Records"):
		objs, err := decodeS3Event(raw)
		if err != nil {
			return Delivery{}, err
		}
		return Delivery{Kind: KindS3Event, Objects: objs}, nil
	case has(top, "kind"):
		p, err := decodePointer(raw)
		if err != nil {
			return Delivery{}, err
		}
		return Delivery{Kind: KindPointer, Pointer: p}, nil
	case has(top, "codec") && has(top, "body"):
		e, err := envelope.DecodeJSON(raw)
		if err != nil {
			return Delivery{}, fmt.Errorf("event: bare envelope: %w", err)
		}
		return Delivery{Kind: KindEnvelope, Envelope: e}, nil
	}
	return Delivery{}, fmt.Errorf("%w: top-level keys %s; want %s", ErrUnknownShape, keyList(top), acceptedShapes)
}

func has(m map[string]json.RawMessage, k string) bool {
	v, ok := m[k]
	return ok && string(v) != "null"
}

func keyList(m map[string]json.RawMessage) string {
	if len(m) == 0 {
		return "(none)"
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, fmt.Sprintf("%q", k))
	}
	slices.Sort(keys) // a stable message
	if len(keys) > 10 {
		keys = append(keys[:10], "…")
	}
	return strings.Join(keys, ",")
}

func routeRecord(raw []byte) (Delivery, error) {
	var r Record
	if err := json.Unmarshal(raw, &r); err != nil {
		return Delivery{}, fmt.Errorf("event: destination record: %w", err)
	}
	if r.Version != RecordVersion {
		return Delivery{}, fmt.Errorf("event: destination record version %q is not supported (want %q)", r.Version, RecordVersion)
	}
	if r.RequestContext.Condition != ConditionSuccess {
		fe := &FailureError{
			Condition:     r.RequestContext.Condition,
			FunctionError: r.ResponseContext.FunctionError,
			RequestID:     r.RequestContext.RequestID,
			InvokeCount:   r.RequestContext.ApproximateInvokeCount,
		}
		var errObj struct {
			ErrorType    string `json:"errorType"`
			ErrorMessage string `json:"errorMessage"`
		}
		if json.Unmarshal(r.ResponsePayload, &errObj) == nil {
			fe.ErrorType, fe.ErrorMessage = errObj.ErrorType, truncate(errObj.ErrorMessage, 300)
		}
		if fe.Condition == "" {
			fe.Condition = "(empty)"
		}
		return Delivery{}, fe
	}
	if r.ResponseContext.FunctionError != "" {
		return Delivery{}, fmt.Errorf("event: destination record has condition Success but functionError %q", r.ResponseContext.FunctionError)
	}
	d := Delivery{Kind: KindRecord, Record: &r}
	var inner map[string]json.RawMessage
	if err := json.Unmarshal(r.ResponsePayload, &inner); err != nil {
		return Delivery{}, fmt.Errorf("event: destination record %s: responsePayload is not a JSON object; want an envelope or an s3-pointer", r.RequestContext.RequestID)
	}
	switch {
	case has(inner, "kind"):
		p, err := decodePointer(r.ResponsePayload)
		if err != nil {
			return Delivery{}, fmt.Errorf("event: destination record %s: %w", r.RequestContext.RequestID, err)
		}
		d.Pointer = p
	case has(inner, "codec") && has(inner, "body"):
		e, err := envelope.DecodeJSON(r.ResponsePayload)
		if err != nil {
			return Delivery{}, fmt.Errorf("event: destination record %s: responsePayload: %w", r.RequestContext.RequestID, err)
		}
		d.Envelope = e
	default:
		return Delivery{}, fmt.Errorf("event: destination record %s: responsePayload (keys %s) is neither an envelope nor an s3-pointer",
			r.RequestContext.RequestID, keyList(inner))
	}
	return d, nil
}

func decodePointer(raw []byte) (*envelope.Pointer, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var p envelope.Pointer
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("event: s3 pointer: %w", err)
	}
	switch {
	case p.Kind != envelope.PointerKind:
		return nil, fmt.Errorf("%w: \"kind\" is %q; the only kind accepted is %q; want %s", ErrUnknownShape, truncate(p.Kind, 40), envelope.PointerKind, acceptedShapes)
	case p.Bucket == "":
		return nil, errors.New("event: s3 pointer has an empty bucket")
	case p.Key == "":
		return nil, errors.New("event: s3 pointer has an empty key")
	case p.RawLength < 0 || p.CompressedLength < 0:
		return nil, fmt.Errorf("event: s3 pointer has a negative length (raw %d, compressed %d)", p.RawLength, p.CompressedLength)
	}
	return &p, nil
}

func decodeS3Event(raw []byte) ([]S3Object, error) {
	var ev events.S3Event
	if err := json.Unmarshal(raw, &ev); err != nil {
		return nil, fmt.Errorf("event: s3 event notification: %w", err)
	}
	if len(ev.Records) == 0 {
		return nil, errors.New("event: s3 event notification has no Records")
	}
	objs := make([]S3Object, 0, len(ev.Records))
	for i, r := range ev.Records {
		if r.EventSource != "aws:s3" {
			return nil, fmt.Errorf("%w: Records[%d].eventSource is %q, want \"aws:s3\"; want %s", ErrUnknownShape, i, truncate(r.EventSource, 40), acceptedShapes)
		}
		if !strings.HasPrefix(r.EventName, "ObjectCreated:") {
			return nil, fmt.Errorf("event: s3 event notification Records[%d] is %q; only ObjectCreated:* events carry data", i, truncate(r.EventName, 60))
		}
		if r.S3.Bucket.Name == "" || r.S3.Object.URLDecodedKey == "" {
			return nil, fmt.Errorf("event: s3 event notification Records[%d] names no bucket or key", i)
		}
		objs = append(objs, S3Object{Bucket: r.S3.Bucket.Name, Key: r.S3.Object.URLDecodedKey, Size: r.S3.Object.Size})
	}
	return objs, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
