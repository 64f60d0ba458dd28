package blob

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/lambdabridge/lambdabridge/handlers/blob/blobtest"
	"github.com/lambdabridge/lambdabridge/handlers/envelope"
)

func newS3(t *testing.T, bucket string) *s3.Client {
	client, _ := blobtest.New(t, bucket)
	return client
}

func encode(t *testing.T, raw string) *envelope.Envelope {
	t.Helper()
	e, err := envelope.Encode([]byte(raw), envelope.Meta{Source: "https://api.example.com/x", FetchedAt: time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC), Status: 200, ContentType: "application/json"})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestPutGetRoundTrip(t *testing.T) {
	client := newS3(t, "spill")
	st := &Store{Client: client, Bucket: "spill", Prefix: "team/fetches/"}
	raw := `{"orders":[1,2,3]}`
	e := encode(t, raw)
	p, err := st.Put(context.Background(), e)
	if err != nil {
		t.Fatalf("Put: %v", err)
	}
	// The key is prefix + first two hex digits + "/" + the full hash + "." + the fetch time
	// (2026-11-25 09:00:00 UTC) + suffix.
	wantKey := "team/fetches/" + e.SHA256[:2] + "/" + e.SHA256 + ".20261125T090000.000000000Z.envelope.json"
	want := envelope.Pointer{Kind: "s3-pointer", Bucket: "spill", Key: wantKey, SHA256: e.SHA256, RawLength: int64(len(raw)),
		CompressedLength: e.CompressedLength, Source: e.Source, FetchedAt: e.FetchedAt}
	if *p != want {
		t.Fatalf("pointer\n got %+v\nwant %+v", *p, want)
	}
	// The object is there, as JSON, under that key.
	obj, err := client.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String("spill"), Key: aws.String(wantKey)})
	if err != nil {
		t.Fatalf("object not at %s: %v", wantKey, err)
	}
	if ct := aws.ToString(obj.ContentType); ct != "application/json" {
		t.Errorf("content type %q", ct)
	}
	obj.Body.Close()

	got, err := st.Get(context.Background(), p)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	body, err := got.Decode(1 << 20)
	if err != nil || string(body) != raw {
		t.Fatalf("decoded %q, %v", body, err)
	}
	// Putting the same envelope again is idempotent: same key.
	p2, err := st.Put(context.Background(), encode(t, raw))
	if err != nil || p2.Key != p.Key {
		t.Fatalf("second put key %v, %v", p2, err)
	}
}

// TestSameBodyLaterFetch: a later fetch of identical bytes is another object, so the earlier
// fetch's pointer still reads the earlier envelope (with one key per body, the later Put
// overwrote it and the earlier fetch was lost: both deliveries stored the later one).
func TestSameBodyLaterFetch(t *testing.T) {
	client := newS3(t, "bkt")
	st := &Store{Client: client, Bucket: "bkt"}
	ctx := context.Background()
	const raw = `{"unchanged":true}`
	first := encode(t, raw)
	later, err := envelope.Encode([]byte(raw), envelope.Meta{Source: first.Source, FetchedAt: first.FetchedAt.Add(10 * time.Minute), Status: 200, ContentType: "application/json"})
	if err != nil {
		t.Fatal(err)
	}
	p1, err := st.Put(ctx, first)
	if err != nil {
		t.Fatal(err)
	}
	p2, err := st.Put(ctx, later)
	if err != nil {
		t.Fatal(err)
	}
	if p1.Key == p2.Key {
		t.Fatalf("two fetches share the key %s", p1.Key)
	}
	for _, tc := range []struct {
		p    *envelope.Pointer
		want time.Time
	}{{p1, first.FetchedAt}, {p2, later.FetchedAt}} {
		e, err := st.Get(ctx, tc.p)
		if err != nil || !e.FetchedAt.Equal(tc.want) {
			t.Fatalf("Get(%s) = fetch at %v, %v; want %v", tc.p.Key, e.FetchedAt, err, tc.want)
		}
	}
	// A pointer whose object holds another fetch of the same bytes is refused.
	stale := *p1
	stale.Key = p2.Key
	if _, err := st.Get(ctx, &stale); err == nil || !strings.Contains(err.Error(), "pointer names the fetch at 2026-11-25T09:00:00Z") {
		t.Fatalf("stale pointer: err = %v", err)
	}
}

func TestDefaultPrefix(t *testing.T) {
	st := &Store{Client: newS3(t, "bkt"), Bucket: "bkt"}
	p, err := st.Put(context.Background(), encode(t, "[]"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(p.Key, "fetches/") || !strings.HasSuffix(p.Key, ".envelope.json") {
		t.Fatalf("key %q", p.Key)
	}
}

func TestGetErrors(t *testing.T) {
	client := newS3(t, "bkt")
	st := &Store{Client: client, Bucket: "bkt"}
	ctx := context.Background()
	e := encode(t, `{"a":1}`)
	p, err := st.Put(ctx, e)
	if err != nil {
		t.Fatal(err)
	}
	put := func(key string, body []byte) {
		if _, err := client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("bkt"), Key: aws.String(key), Body: bytes.NewReader(body)}); err != nil {
			t.Fatal(err)
		}
	}
	put("junk", []byte("not json"))
	other := encode(t, `{"a":2}`)
	pOther, _ := st.Put(ctx, other)

	for _, tc := range []struct {
		name  string
		st    *Store
		p     envelope.Pointer
		want  string
		isErr any
	}{
		{"missing key", st, envelope.Pointer{Kind: "s3-pointer", Bucket: "bkt", Key: "fetches/no/such"}, "blob: get s3://bkt/fetches/no/such", new(*types.NoSuchKey)},
		{"wrong kind", st, envelope.Pointer{Kind: "s3-object", Bucket: "bkt", Key: p.Key}, `pointer kind "s3-object"`, nil},
		{"other bucket", st, envelope.Pointer{Kind: "s3-pointer", Bucket: "elsewhere", Key: p.Key}, `bucket is not the configured bucket "bkt"`, nil},
		{"no key", st, envelope.Pointer{Kind: "s3-pointer", Bucket: "bkt"}, "must both be set", nil},
		{"not an envelope", st, envelope.Pointer{Kind: "s3-pointer", Bucket: "bkt", Key: "junk"}, "envelope: decode JSON", nil},
		{"pointer names another body", st, func() envelope.Pointer { q := *pOther; q.SHA256 = p.SHA256; return q }(), "but the pointer says", nil},
		{"object over cap", &Store{Client: client, Bucket: "bkt", MaxObjectBytes: 10}, *p, "over the cap of 10", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.st.Get(ctx, &tc.p)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Get error = %v, want %q", err, tc.want)
			}
			if tc.isErr != nil && !errors.As(err, tc.isErr) {
				t.Fatalf("error %v does not wrap %T", err, tc.isErr)
			}
		})
	}
}

func TestPutErrors(t *testing.T) {
	client := newS3(t, "bkt")
	bad := encode(t, "x")
	bad.Version = 2
	for _, tc := range []struct {
		name string
		st   *Store
		e    *envelope.Envelope
		want string
	}{
		{"no bucket", &Store{Client: client}, encode(t, "x"), "no bucket configured"},
		{"invalid envelope", &Store{Client: client, Bucket: "bkt"}, bad, "unsupported version 2"},
		{"bucket missing on server", &Store{Client: client, Bucket: "nope"}, encode(t, "x"), "blob: put s3://nope/"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.st.Put(context.Background(), tc.e)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Put error = %v, want %q", err, tc.want)
			}
		})
	}
}
