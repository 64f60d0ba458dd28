package event

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/lambdabridge/lambdabridge/handlers/envelope"
)

var fetchedAt = time.Date(2026, 11, 25, 9, 0, 0, 123456789, time.UTC)

func sampleEnvelope(t testing.TB) []byte {
	t.Helper()
	e, err := envelope.Encode([]byte(`{"items":[{"id":1},{"id":2}]}`), envelope.Meta{
		Source: "https://api.example.com/v1/items?a=1&b=<2>", FetchedAt: fetchedAt, Status: 200, ContentType: "application/json",
	})
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

const schedulerEvent = `{"version":"0","id":"c1a6d7f5-1b7e-4bd5-9c1c-0f5f2ef0a0a1","detail-type":"Scheduled Event","source":"aws.events","account":"123456789012","time":"2026-11-25T09:00:00Z","region":"us-east-1","resources":["arn:aws:events:us-east-1:123456789012:rule/lb"],"detail":{}}`

const pointerJSON = `{"kind":"s3-pointer","bucket":"lb-spill","key":"fetches/ab/abcd.json","sha256":"` +
	`ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad","rawLength":3,"compressedLength":23,"source":"https://x","fetchedAt":"2026-11-25T09:00:00Z"}`

func TestMarshalMatchesLambdaBytes(t *testing.T) {
	// The record as AWS documents it (aws-cdk lambda-destinations README / Lambda developer
	// guide), compacted: version, timestamp (milliseconds, Z), requestContext{requestId,
	// functionArn, condition, approximateInvokeCount}, requestPayload, responseContext{statusCode,
	// executedVersion}, responsePayload. No HTML escaping of '&', '<', '>'.
	at := time.Date(2019, 11, 14, 18, 16, 5, 568_900_000, time.FixedZone("x", 3600)) // 17:16:05.5689Z → .568 (truncated)
	r := NewSuccessRecord("e4b46cbf-b738-xmpl-8880-a18cdf61200e",
		"arn:aws:lambda:us-east-2:123456789012:function:fetch:$LATEST", at,
		[]byte(`{ "a" : "x&y" }`), []byte(`{"b":"<tag>"}`))
	got, err := r.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	want := `{"version":"1.0","timestamp":"2019-11-14T17:16:05.568Z","requestContext":{"requestId":"e4b46cbf-b738-xmpl-8880-a18cdf61200e",` +
		`"functionArn":"arn:aws:lambda:us-east-2:123456789012:function:fetch:$LATEST","condition":"Success","approximateInvokeCount":1},` +
		`"requestPayload":{"a":"x&y"},"responseContext":{"statusCode":200,"executedVersion":"$LATEST"},"responsePayload":{"b":"<tag>"}}`
	if string(got) != want {
		t.Fatalf("Marshal:\n got %s\nwant %s", got, want)
	}
	if ts, err := r.Time(); err != nil || !ts.Equal(time.Date(2019, 11, 14, 17, 16, 5, 568_000_000, time.UTC)) {
		t.Fatalf("Time() = %v, %v", ts, err)
	}
	// An empty payload is JSON null, as Lambda writes for a function returning nothing.
	empty, err := NewSuccessRecord("r", "arn", at, nil, nil).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(empty), `"requestPayload":null,`) || !strings.HasSuffix(string(empty), `"responsePayload":null}`) {
		t.Fatalf("empty payloads: %s", empty)
	}
}

func successRecord(t testing.TB, response []byte) []byte {
	t.Helper()
	b, err := NewSuccessRecord("req-1", "arn:aws:lambda:us-east-1:123456789012:function:fetch", fetchedAt, []byte(schedulerEvent), response).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func failureRecord(condition, functionError string, count int) []byte {
	return fmt.Appendf(nil, `{"version":"1.0","timestamp":"2026-11-25T09:03:00.001Z","requestContext":{"requestId":"req-9",`+
		`"functionArn":"arn:aws:lambda:us-east-1:123456789012:function:fetch:$LATEST","condition":%q,"approximateInvokeCount":%d},`+
		`"requestPayload":{},"responseContext":{"statusCode":200,"executedVersion":"$LATEST","functionError":%q},`+
		`"responsePayload":{"errorMessage":"source answered 503 after 3 attempts","errorType":"errorString"}}`, condition, count, functionError)
}

const s3EventJSON = `{"Records":[{"eventVersion":"2.1","eventSource":"aws:s3","awsRegion":"us-east-1","eventTime":"2026-11-25T09:00:01.000Z",` +
	`"eventName":"ObjectCreated:Put","userIdentity":{"principalId":"AWS:X"},"requestParameters":{"sourceIPAddress":"10.0.0.1"},` +
	`"responseElements":{},"s3":{"s3SchemaVersion":"1.0","configurationId":"lb","bucket":{"name":"lb-spill","ownerIdentity":{"principalId":"X"},` +
	`"arn":"arn:aws:s3:::lb-spill"},"object":{"key":"fetches/2026/a+b%3Dc.json","size":1234,"eTag":"e","sequencer":"0A"}}}]}`

func TestRoute(t *testing.T) {
	env := sampleEnvelope(t)
	tests := []struct {
		name      string
		in        []byte
		kind      Kind
		inner     Kind
		check     func(t *testing.T, d Delivery)
		errIs     error
		errSubstr []string
	}{
		{name: "record with envelope", in: successRecord(t, env), kind: KindRecord, inner: KindEnvelope,
			check: func(t *testing.T, d Delivery) {
				if d.Record.RequestContext.RequestID != "req-1" || d.Envelope.Source != "https://api.example.com/v1/items?a=1&b=<2>" {
					t.Errorf("record %+v envelope source %q", d.Record.RequestContext, d.Envelope.Source)
				}
			}},
		{name: "record with pointer", in: successRecord(t, []byte(pointerJSON)), kind: KindRecord, inner: KindPointer,
			check: func(t *testing.T, d Delivery) {
				if d.Pointer.Bucket != "lb-spill" || d.Pointer.Key != "fetches/ab/abcd.json" || d.Pointer.RawLength != 3 {
					t.Errorf("pointer %+v", d.Pointer)
				}
			}},
		{name: "bare pointer", in: []byte(pointerJSON), kind: KindPointer, inner: KindPointer},
		{name: "bare envelope", in: env, kind: KindEnvelope, inner: KindEnvelope},
		{name: "s3 event, key URL-decoded", in: []byte(s3EventJSON), kind: KindS3Event, inner: KindS3Event,
			check: func(t *testing.T, d Delivery) {
				want := S3Object{Bucket: "lb-spill", Key: "fetches/2026/a b=c.json", Size: 1234}
				if len(d.Objects) != 1 || d.Objects[0] != want {
					t.Errorf("objects %+v, want [%+v]", d.Objects, want)
				}
			}},
		{name: "RetriesExhausted refused", in: failureRecord("RetriesExhausted", "Unhandled", 3), errIs: ErrNotSuccess,
			errSubstr: []string{`condition "RetriesExhausted"`, `functionError "Unhandled"`, "3 attempt(s)", "source answered 503"}},
		{name: "EventAgeExceeded refused", in: failureRecord("EventAgeExceeded", "", 1), errIs: ErrNotSuccess,
			errSubstr: []string{`condition "EventAgeExceeded"`, "req-9"}},
		{name: "record payload neither envelope nor pointer", in: successRecord(t, []byte(`{"hello":"world"}`)),
			errSubstr: []string{"neither an envelope nor an s3-pointer", `"hello"`}},
		{name: "record payload not an object", in: successRecord(t, []byte(`"just a string"`)),
			errSubstr: []string{"responsePayload is not a JSON object"}},
		{name: "record with wrong version", in: []byte(strings.Replace(string(successRecord(t, env)), `"version":"1.0"`, `"version":"2.0"`, 1)),
			errSubstr: []string{`version "2.0" is not supported`}},
		{name: "unknown shape", in: []byte(`{"detail-type":"Scheduled Event"}`), errIs: ErrUnknownShape,
			errSubstr: []string{`"detail-type"`, "destination record", "s3-pointer", "S3 event notification", "bare envelope"}},
		{name: "not JSON", in: []byte(`hello`), errIs: ErrUnknownShape, errSubstr: []string{"not a JSON object"}},
		{name: "JSON array", in: []byte(`[1,2]`), errIs: ErrUnknownShape},
		{name: "unknown pointer kind", in: []byte(`{"kind":"gcs-pointer","bucket":"b","key":"k"}`), errIs: ErrUnknownShape, errSubstr: []string{`"gcs-pointer"`}},
		{name: "pointer without key", in: []byte(`{"kind":"s3-pointer","bucket":"b"}`), errSubstr: []string{"empty key"}},
		{name: "pointer with unknown field", in: []byte(`{"kind":"s3-pointer","bucket":"b","key":"k","extra":1}`), errSubstr: []string{`unknown field "extra"`}},
		{name: "s3 delete event", in: []byte(strings.Replace(s3EventJSON, "ObjectCreated:Put", "ObjectRemoved:Delete", 1)),
			errSubstr: []string{`"ObjectRemoved:Delete"`, "only ObjectCreated"}},
		{name: "sqs-like Records", in: []byte(`{"Records":[{"eventSource":"aws:sqs","body":"x"}]}`), errIs: ErrUnknownShape, errSubstr: []string{`"aws:sqs"`}},
		{name: "empty Records", in: []byte(`{"Records":[]}`), errSubstr: []string{"no Records"}},
		{name: "envelope with bad base64", in: []byte(strings.Replace(string(env), `"body":"`, `"body":"!!`, 1)),
			errSubstr: []string{"bare envelope", "illegal base64"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, err := Route(tc.in)
			if tc.errIs != nil || tc.errSubstr != nil {
				if err == nil {
					t.Fatalf("Route succeeded with kind %s; want an error", d.Kind)
				}
				if tc.errIs != nil && !errors.Is(err, tc.errIs) {
					t.Errorf("error %v is not %v", err, tc.errIs)
				}
				for _, s := range tc.errSubstr {
					if !strings.Contains(err.Error(), s) {
						t.Errorf("error %q does not mention %q", err, s)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("Route: %v", err)
			}
			if d.Kind != tc.kind || d.Inner() != tc.inner {
				t.Fatalf("kind %s/%s, want %s/%s", d.Kind, d.Inner(), tc.kind, tc.inner)
			}
			if (d.Kind == KindRecord) != (d.Record != nil) {
				t.Errorf("Record set = %v for kind %s", d.Record != nil, d.Kind)
			}
			if tc.check != nil {
				tc.check(t, d)
			}
		})
	}
}

func TestFailureErrorFields(t *testing.T) {
	_, err := Route(failureRecord("RetriesExhausted", "Handled", 3))
	var fe *FailureError
	if !errors.As(err, &fe) {
		t.Fatalf("error %T %v is not a *FailureError", err, err)
	}
	want := FailureError{Condition: "RetriesExhausted", FunctionError: "Handled", RequestID: "req-9", InvokeCount: 3,
		ErrorType: "errorString", ErrorMessage: "source answered 503 after 3 attempts"}
	if *fe != want {
		t.Fatalf("got %+v\nwant %+v", *fe, want)
	}
}

// FuzzRoute checks that Route never panics and that what it accepts is consistent: exactly
// one payload set, a record only for KindRecord, and a record re-marshalled routes the same.
func FuzzRoute(f *testing.F) {
	env := sampleEnvelope(f)
	for _, s := range [][]byte{successRecord(f, env), successRecord(f, []byte(pointerJSON)), []byte(pointerJSON), env,
		[]byte(s3EventJSON), failureRecord("RetriesExhausted", "Unhandled", 3), []byte(`{}`), []byte(`null`)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		d, err := Route(raw)
		if err != nil {
			if d.Kind != "" {
				t.Fatalf("error %v with kind %s", err, d.Kind)
			}
			return
		}
		set := 0
		if d.Envelope != nil {
			set++
		}
		if d.Pointer != nil {
			set++
		}
		if len(d.Objects) > 0 {
			set++
		}
		if set != 1 {
			t.Fatalf("%d payloads set in %+v", set, d)
		}
		if (d.Kind == KindRecord) != (d.Record != nil) {
			t.Fatalf("Record set = %v for kind %s", d.Record != nil, d.Kind)
		}
		if d.Record != nil {
			again, err := d.Record.Marshal()
			if err != nil {
				t.Fatalf("re-marshal: %v", err)
			}
			d2, err := Route(again)
			if err != nil || d2.Inner() != d.Inner() {
				t.Fatalf("re-marshalled record routes to %v, %v", d2.Inner(), err)
			}
		}
	})
}
