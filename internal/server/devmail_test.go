package server_test

import (
	"net/http"
	"testing"

	"github.com/citizen-network/osk/internal/osktest"
)

// GET /dev/mail names each message's recipient, subject and body, in the
// words of API.md ("Development only").
func TestDevMail_ListsRecipientSubjectAndBody(t *testing.T) {
	inst := osktest.Start(t, osktest.Options{})
	c := inst.Client(t)
	c.SignIn("applicant@example.org", "Ada Applicant")
	resp := c.Do(http.MethodPost, "/api/v1/applications", map[string]any{
		"kind": "individual", "name": "Ada Applicant", "email": "ada@example.org", "country": "FI", "accept_rules": true,
	})
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("apply: %d %s", resp.StatusCode, resp.Body)
	}
	var mail struct {
		Items []struct {
			Recipient string `json:"recipient"`
			To        string `json:"to"`
			Subject   string `json:"subject"`
			Body      string `json:"body"`
		} `json:"items"`
	}
	c.Get("/dev/mail").JSON(t, &mail)
	if len(mail.Items) == 0 {
		t.Fatal("no mail listed after an application")
	}
	got := mail.Items[0]
	if got.Recipient != "ada@example.org" || got.To != got.Recipient || got.Subject == "" || got.Body == "" {
		t.Fatalf("the newest message: %+v", got)
	}
}
