package stix

import "testing"

// BenchmarkCompilePattern parses and compiles a pattern of three
// observations.
func BenchmarkCompilePattern(b *testing.B) {
	p := "[ipv4-addr:value = '198.51.100.7' OR ipv4-addr:value = '198.51.100.8'] OR [domain-name:value = 'login-secure.example'] OR [file:hashes.'SHA-256' = '908b64b1971a979c7e3e8ce4621945cba84854cb98d76367b791a6e22b5f6d53']"
	for b.Loop() {
		obs, err := CompilePattern(p)
		if err != nil || len(obs) != 4 {
			b.Fatal(err)
		}
	}
}
