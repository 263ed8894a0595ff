package incident

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"os"
)

func decodeStrings(s string) []string {
	var out []string
	json.Unmarshal([]byte(s), &out)
	return out
}

func hostOf(groupJSON string) string {
	var g map[string]string
	json.Unmarshal([]byte(groupJSON), &g)
	return g["host"]
}

func defaultNodeID() string {
	host, _ := os.Hostname()
	var b [4]byte
	rand.Read(b[:])
	return host + "/" + hex.EncodeToString(b[:])
}
