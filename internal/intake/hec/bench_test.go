package hec

import (
	"bytes"
	"fmt"
	"testing"
)

// benchBody builds a 1,000-event body shaped like Vector's splunk_hec_logs
// output: object events with metadata and indexed fields, concatenated.
func benchBody() []byte {
	var b bytes.Buffer
	for i := range 1000 {
		fmt.Fprintf(&b, `{"event":{"message":"10.9.8.%d - - [28/Nov/2026:09:15:02 +0800] \"GET /healthhub/api/v1/records?id=%d HTTP/1.1\" 200 5123 \"-\" \"Mozilla/5.0\"","host":"web01","file":"/var/log/nginx/access.log"},"fields":{"agency":"MOH","env":"prod"},"time":1795828502.%03d,"host":"web01","index":"main","source":"/var/log/nginx/access.log","sourcetype":"nginx:access"}`, i%256, i, i)
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// BenchmarkDecodeEvents reports events decoded per second.
func BenchmarkDecodeEvents(b *testing.B) {
	body := benchBody()
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	var d Decoder
	n := 0
	for b.Loop() {
		evs, err := d.DecodeEvents(body, Metadata{})
		if err != nil {
			b.Fatal(err)
		}
		n += len(evs)
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkDecodeRaw reports raw lines decoded per second.
func BenchmarkDecodeRaw(b *testing.B) {
	var body bytes.Buffer
	for i := range 1000 {
		fmt.Fprintf(&body, "Nov 28 09:15:02 fw1 traffic: allow src=10.0.0.%d dst=8.8.8.8 proto=udp dport=53 bytes=%d\n", i%256, i*7)
	}
	b.SetBytes(int64(body.Len()))
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		evs, err := DecodeRaw(body.Bytes(), Metadata{Host: "fw1"})
		if err != nil {
			b.Fatal(err)
		}
		n += len(evs)
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "events/s")
}
