package app_test

import (
	"context"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"

	"github.com/kubu-gov/kubu/internal/store"
)

// TestSecretsNeverLogged signs in with a password, uses API, intake and
// VDP follow-up tokens, and a wrong password and token, with kubu logging
// at debug level: none of those secrets may appear in the log. (That they
// are not stored in plain text is TestTokensAndSecretsAtRest in accounts.)
func TestSecretsNeverLogged(t *testing.T) {
	ta := newTestApp(t, store.SQLite)
	ta.Cfg.RequireTOTP = false
	mon, err := ta.StartMonitoring(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mon.Stop(context.Background()) })
	const password = "correct horse battery staple"
	secrets := []string{password, "wrong horse battery staple"}
	for _, tok := range ta.tokens {
		secrets = append(secrets, tok)
	}

	// Browser sign-in, right and wrong, with a token in the query string too.
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	for _, pw := range []string{"wrong horse battery staple", password} {
		resp, err := c.PostForm(ta.srv.URL+"/login?next=/&token="+ta.tokens["admin"], url.Values{"email": {"analyst@example.gov"}, "password": {pw}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	// API with good and bad tokens; an intake token made and used.
	ta.do(t, "admin", "GET", "/api/v1/systems", nil)
	req, _ := http.NewRequest("GET", ta.srv.URL+"/api/v1/systems", nil)
	req.Header.Set("Authorization", "Bearer kubu_wrongwrongwrongwrongwrongwrongwrong")
	secrets = append(secrets, "kubu_wrongwrongwrongwrongwrongwrongwrong")
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
	}
	_, body := ta.do(t, "admin", "POST", "/api/v1/intake/tokens", `{"agency":"MOH","name":"vector"}`)
	intakeTok, _ := body["token"].(string)
	if intakeTok == "" {
		t.Fatalf("no intake token: %v", body)
	}
	secrets = append(secrets, intakeTok)
	req, _ = http.NewRequest("POST", ta.srv.URL+"/services/collector/event", strings.NewReader(`{"event":{"EventID":1}}`))
	req.Header.Set("Authorization", "Splunk "+intakeTok)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 {
		t.Fatalf("HEC: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
	// A public VDP report and its follow-up token.
	code, body := ta.do(t, "", "POST", "/api/v1/public/vdp/reports", `{"title":"XSS","description":"in search","affected_url":"https://x.example/?q=1"}`)
	if code != 201 {
		t.Fatalf("VDP submit: %d %v", code, body)
	}
	follow := body["token"].(string)
	secrets = append(secrets, follow)
	req, _ = http.NewRequest("GET", ta.srv.URL+"/api/v1/public/vdp/reports/"+body["tracking_id"].(string), nil)
	req.Header.Set("Authorization", "Bearer "+follow)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 {
		t.Fatalf("VDP follow: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}

	logs := ta.logs.String()
	if !strings.Contains(logs, `"msg"`) {
		t.Fatal("nothing was logged: the test would prove nothing")
	}
	for _, s := range secrets {
		if strings.Contains(logs, s) {
			t.Errorf("the log contains a secret (%.8s…)", s)
		}
	}
}
