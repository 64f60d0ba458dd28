package envelope

import (
	"bytes"
	"testing"
)

// fuzzCap is the decompression cap used by FuzzDecode: 64 KiB, small enough that an input
// decompressing up to the cap stays fast and the fuzzer keeps its pace.
const fuzzCap = 64 << 10

// FuzzDecode feeds arbitrary documents to DecodeJSON and Decode. Neither may panic or allocate
// past the cap; whatever Decode accepts must have exactly the declared length and checksum and
// must re-encode to an envelope that decodes to the same bytes.
func FuzzDecode(f *testing.F) {
	f.Add([]byte(`{"version":1,"codec":"gzip","rawLength":0,"compressedLength":0,"sha256":"","body":""}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := DecodeJSON(data)
		if err != nil {
			return
		}
		raw, err := e.Decode(fuzzCap)
		if err != nil {
			return
		}
		if int64(len(raw)) != e.RawLength || int64(len(raw)) > fuzzCap {
			t.Fatalf("accepted %d bytes, rawLength %d, cap %d", len(raw), e.RawLength, fuzzCap)
		}
		if Checksum(raw) != e.SHA256 {
			t.Fatal("accepted a body whose checksum differs")
		}
		again, err := Encode(raw, Meta{Source: e.Source, FetchedAt: e.FetchedAt, Status: e.Status, ContentType: e.ContentType})
		if err != nil {
			t.Fatal(err)
		}
		back, err := again.Decode(fuzzCap)
		if err != nil || !bytes.Equal(back, raw) {
			t.Fatalf("re-encoded envelope does not round-trip: %v", err)
		}
	})
}
