package syslog

import (
	"bytes"
	"io"
	"strconv"
	"testing"
)

var benchMessages = [][]byte{
	[]byte(`<165>1 2026-11-28T09:15:02.123456+08:00 web01.moh.example.sg nginx 4242 ACCESS [meta sequenceId="1029" sysUpTime="37"][origin ip="10.1.2.3"] 10.9.8.7 - - "GET /healthhub/api/v1/records?id=123 HTTP/1.1" 200 5123 "-" "Mozilla/5.0"`),
	[]byte(`<86>Nov 28 09:15:02 web01 sshd[4242]: Accepted publickey for admin from 10.0.0.5 port 51234 ssh2: ED25519 SHA256:abcdefghijklmnopqrstuvwxyz0123456789`),
	[]byte(`<13>2026-11-28T09:15:02.123456+08:00 web01 CRON[991]: (root) CMD (run-parts /etc/cron.hourly)`),
	[]byte(`<189>123: *Mar  1 00:01:02.345 UTC: %SYS-5-CONFIG_I: Configured from console by vty0 (10.1.1.1)`),
}

// BenchmarkParse reports messages parsed per second over a mix of RFC 5424,
// RFC 3164, rsyslog ISO-timestamp and Cisco lines.
func BenchmarkParse(b *testing.B) {
	p := testParser()
	var bytesTotal int64
	for _, m := range benchMessages {
		bytesTotal += int64(len(m))
	}
	b.SetBytes(bytesTotal / int64(len(benchMessages)))
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, err := p.Parse(benchMessages[i%len(benchMessages)]); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

// BenchmarkFrameReader reports frames per second for an octet-counted
// stream of 10,000 messages.
func BenchmarkFrameReader(b *testing.B) {
	var stream bytes.Buffer
	const n = 10000
	for i := range n {
		m := benchMessages[i%len(benchMessages)]
		stream.WriteString(strconv.Itoa(len(m)))
		stream.WriteByte(' ')
		stream.Write(m)
	}
	b.SetBytes(int64(stream.Len()))
	b.ReportAllocs()
	frames := 0
	for b.Loop() {
		r := NewFrameReader(bytes.NewReader(stream.Bytes()), 8192)
		for {
			_, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			frames++
		}
	}
	b.ReportMetric(float64(frames)/b.Elapsed().Seconds(), "msgs/s")
}
