package envelope

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

var testMeta = Meta{Source: "https://api.example.com/v1/orders", FetchedAt: time.Date(2026, 11, 25, 9, 30, 0, 0, time.FixedZone("JST", 9*3600)), Status: 200, ContentType: "application/json"}

func mustEncode(t testing.TB, raw []byte) *Envelope {
	t.Helper()
	e, err := Encode(raw, testMeta)
	if err != nil {
		t.Fatalf("Encode: %v", err)
	}
	return e
}

func TestEncodeDecodeRoundTrip(t *testing.T) {
	sample := loadSample(t)
	for _, tc := range []struct {
		name string
		raw  []byte
	}{
		{"empty", []byte{}},
		{"small", []byte(`{"hello":"world"}`)},
		{"binary", []byte{0, 1, 2, 0xff, 0xfe}},
		{"sample279KB", sample},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := mustEncode(t, tc.raw)
			if e.Version != 1 || e.Codec != "gzip" {
				t.Fatalf("version/codec = %d/%q", e.Version, e.Codec)
			}
			if e.RawLength != int64(len(tc.raw)) || e.CompressedLength != int64(len(e.Body)) {
				t.Fatalf("lengths raw=%d compressed=%d body=%d", e.RawLength, e.CompressedLength, len(e.Body))
			}
			if !e.FetchedAt.Equal(testMeta.FetchedAt) || e.FetchedAt.Location() != time.UTC {
				t.Fatalf("FetchedAt = %v, want the same instant in UTC", e.FetchedAt)
			}
			if e.Source != testMeta.Source || e.Status != 200 || e.ContentType != "application/json" {
				t.Fatalf("meta not copied: %+v", e)
			}
			// Through JSON, as it travels.
			js, err := json.Marshal(e)
			if err != nil {
				t.Fatal(err)
			}
			back, err := DecodeJSON(js)
			if err != nil {
				t.Fatalf("DecodeJSON: %v", err)
			}
			got, err := back.Decode(max(1, int64(len(tc.raw)))) // the cap may equal the size exactly
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if !bytes.Equal(got, tc.raw) {
				t.Fatal("round trip changed the body")
			}
		})
	}
}

func TestCompressDeterministicAndShrinksSample(t *testing.T) {
	sample := loadSample(t)
	a, err := Compress(sample)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Compress(sample)
	if !bytes.Equal(a, b) {
		t.Fatal("Compress is not deterministic")
	}
	// Realistic JSON compresses far better than 2:1; a codec regression (e.g. level 0, stored
	// blocks) would give a ratio near 1.
	if 2*len(a) > len(sample) {
		t.Fatalf("compressed %d of %d bytes: worse than 2:1", len(a), len(sample))
	}
	// The known SHA-256 of "abc" (FIPS 180-2 test vector).
	if got := Checksum([]byte("abc")); got != "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" {
		t.Fatalf("Checksum(abc) = %s", got)
	}
}

// gzipBytes compresses b at BestCompression, independent of Compress.
func gzipBytes(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

func TestDecodeErrors(t *testing.T) {
	raw := []byte(`{"a":[1,2,3],"b":"hello hello hello hello"}`)
	bomb := gzipBytes(t, make([]byte, 64<<20)) // 64 MiB of zeros, ~64 KB compressed
	for _, tc := range []struct {
		name   string
		mutate func(e *Envelope)
		maxRaw int64
		want   string
	}{
		{"version 2", func(e *Envelope) { e.Version = 2 }, 1 << 20, "envelope: unsupported version 2 (want 1)"},
		{"codec zstd", func(e *Envelope) { e.Codec = "zstd" }, 1 << 20, `unsupported codec "zstd"`},
		{"compressedLength off by one", func(e *Envelope) { e.CompressedLength++ }, 1 << 20, "does not match body length"},
		{"negative rawLength", func(e *Envelope) { e.RawLength = -1 }, 1 << 20, "negative rawLength -1"},
		{"short sha", func(e *Envelope) { e.SHA256 = "abc" }, 1 << 20, "is not 64 hex digits"},
		{"uppercase sha", func(e *Envelope) { e.SHA256 = strings.ToUpper(e.SHA256) }, 1 << 20, "non lowercase-hex"},
		{"bad checksum", func(e *Envelope) { e.SHA256 = strings.Repeat("0", 64) }, 1 << 20, "envelope: checksum mismatch: body hashes to "},
		{"rawLength above cap", func(e *Envelope) {}, 10, "rawLength 43 exceeds the decompression cap 10"},
		{"zero cap", func(e *Envelope) {}, 0, "cap must be positive"},
		{"rawLength understated", func(e *Envelope) { e.RawLength = 10 }, 1 << 20, "decompressed size exceeds cap"},
		{"rawLength overstated", func(e *Envelope) { e.RawLength = 50 }, 1 << 20, "decompressed 43 bytes but rawLength is 50"},
		{"not gzip", func(e *Envelope) { e.Body = []byte("plain text"); e.CompressedLength = 10 }, 1 << 20, "gzip header"},
		{"truncated gzip", func(e *Envelope) { e.Body = e.Body[:len(e.Body)-9]; e.CompressedLength = int64(len(e.Body)) }, 1 << 20, "decompress"},
		{"gzip bomb claiming 1 KB", func(e *Envelope) {
			e.Body, e.CompressedLength, e.RawLength = bomb, int64(len(bomb)), 1024
		}, 1 << 20, "decompressed size exceeds cap"},
		{"gzip bomb claiming its size", func(e *Envelope) {
			e.Body, e.CompressedLength, e.RawLength = bomb, int64(len(bomb)), 64<<20
		}, 1 << 20, "rawLength 67108864 exceeds the decompression cap 1048576"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := mustEncode(t, raw)
			tc.mutate(e)
			got, err := e.Decode(tc.maxRaw)
			if err == nil {
				t.Fatalf("Decode succeeded with %d bytes, want error containing %q", len(got), tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q does not contain %q", err, tc.want)
			}
		})
	}
}

func TestDecodeJSONErrors(t *testing.T) {
	good, err := json.Marshal(mustEncode(t, []byte(`{"k":1}`)))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	json.Unmarshal(good, &m)
	body := m["body"].(string)
	for _, tc := range []struct {
		name string
		doc  string
		want string
	}{
		{"truncated base64", strings.Replace(string(good), body, body[:len(body)-3], 1), "envelope: decode JSON: illegal base64 data"},
		{"truncated document", string(good[:len(good)/2]), "envelope: decode JSON: unexpected EOF"},
		{"unknown field", strings.Replace(string(good), `"version":1`, `"version":1,"extra":true`, 1), `unknown field "extra"`},
		{"trailing data", string(good) + `{}`, "trailing data"},
		{"version 2", strings.Replace(string(good), `"version":1`, `"version":2`, 1), "envelope: unsupported version 2 (want 1)"},
		{"a pointer", `{"kind":"s3-pointer","bucket":"b","key":"k"}`, `unknown field "kind"`},
		{"empty", ``, "envelope: decode JSON: EOF"},
		{"array", `[]`, "cannot unmarshal array"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeJSON([]byte(tc.doc))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("DecodeJSON error = %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestPointerJSONTags(t *testing.T) {
	p := Pointer{Kind: PointerKind, Bucket: "b", Key: "k", SHA256: "s", RawLength: 3, CompressedLength: 2, Source: "u", FetchedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	js, _ := json.Marshal(p)
	want := `{"kind":"s3-pointer","bucket":"b","key":"k","sha256":"s","rawLength":3,"compressedLength":2,"source":"u","fetchedAt":"2026-01-02T03:04:05Z"}`
	if string(js) != want {
		t.Fatalf("pointer JSON\n got %s\nwant %s", js, want)
	}
}
