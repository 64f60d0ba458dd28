package envelope

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"testing"
)

// BenchmarkEncode measures Encode (gzip at Level + SHA-256) plus JSON marshalling of the
// ~279 KB sample; MB/s is of raw input.
func BenchmarkEncode(b *testing.B) {
	sample := loadSample(b)
	b.SetBytes(int64(len(sample)))
	b.ReportAllocs()
	for b.Loop() {
		e, err := Encode(sample, testMeta)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := json.Marshal(e); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecode measures DecodeJSON plus Decode (base64, gunzip, length and SHA-256 checks)
// of the ~279 KB sample's envelope; MB/s is of raw output.
func BenchmarkDecode(b *testing.B) {
	sample := loadSample(b)
	e, err := Encode(sample, testMeta)
	if err != nil {
		b.Fatal(err)
	}
	js, _ := json.Marshal(e)
	b.SetBytes(int64(len(sample)))
	b.ReportAllocs()
	b.ReportMetric(float64(len(js)), "envelope-json-bytes")
	for b.Loop() {
		env, err := DecodeJSON(js)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := env.Decode(int64(len(sample))); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLevels compares the stdlib deflate levels (via compress/gzip) on the sample, to
// choose Level: it reports MB/s of raw input, the compressed size, the raw/compressed ratio and
// the base64 size that would travel in the envelope JSON.
func BenchmarkLevels(b *testing.B) {
	sample := loadSample(b)
	levels := []int{flate.HuffmanOnly, flate.BestSpeed, 2, 3, 4, 5, flate.DefaultCompression, 7, 8, flate.BestCompression}
	for _, lvl := range levels {
		b.Run(fmt.Sprintf("level=%d", lvl), func(b *testing.B) {
			var buf bytes.Buffer
			b.SetBytes(int64(len(sample)))
			b.ReportAllocs()
			for b.Loop() {
				buf.Reset()
				zw, err := gzip.NewWriterLevel(&buf, lvl)
				if err != nil {
					b.Fatal(err)
				}
				zw.Write(sample)
				zw.Close()
			}
			n := buf.Len()
			b.ReportMetric(float64(n), "compressed-bytes")
			b.ReportMetric(float64(len(sample))/float64(n), "ratio")
			b.ReportMetric(float64((n+2)/3*4), "base64-bytes")
		})
	}
}
