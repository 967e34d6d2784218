package browsertest

import (
	"encoding/json"
	"fmt"
	"strings"
)

// A Locator finds an element the way a person does: by the words on it, or
// by the label of a form field. Text is compared after collapsing white
// space, and includes visually hidden text, as a screen reader reads it
// ("Revoke token ci-script"). When several elements match, the first in
// the page is meant, as a person reading from the top would take it.
type Locator struct {
	// js is a JavaScript expression giving the element, or null. It looks
	// inside root, an element or the document, which in turn is given by
	// the Page (see Page.Within).
	js   string
	desc string
}

func (l Locator) String() string { return l.desc }

// Link is the link whose text is text.
func Link(text string) Locator {
	return Locator{
		js:   byXPath(".//a[@href][normalize-space()=" + xpathString(text) + "]"),
		desc: fmt.Sprintf("link %q", text),
	}
}

// Button is the button whose text is text.
func Button(text string) Locator {
	lit := xpathString(text)
	return Locator{
		js: byXPath(".//button[normalize-space()=" + lit + "] | " +
			".//input[(@type='submit' or @type='button' or @type='reset') and normalize-space(@value)=" + lit + "]"),
		desc: fmt.Sprintf("button %q", text),
	}
}

// Field is the form field (input, select or text area, check box or radio
// button) whose label is label, the whole label as it reads on the page,
// such as "Postal address (optional)".
func Field(label string) Locator {
	lit := xpathString(label)
	control := "*[self::input or self::select or self::textarea]"
	// The label may be anywhere in the page, as ids are; the control is
	// inside root.
	return Locator{
		js: byXPath(".//" + control + "[@id = //label[normalize-space()=" + lit + "]/@for] | " +
			".//label[normalize-space()=" + lit + "]//" + control),
		desc: fmt.Sprintf("field %q", label),
	}
}

// Label is the label whose text is text: what a person clicks to tick a
// check box or choose a radio button.
func Label(text string) Locator {
	return Locator{
		js:   byXPath(".//label[normalize-space()=" + xpathString(text) + "]"),
		desc: fmt.Sprintf("label %q", text),
	}
}

// ID is the element with this id, for what has no words of its own to find
// it by, such as the code of a new token.
func ID(id string) Locator {
	return Locator{js: "document.getElementById(" + jsString(id) + ")", desc: fmt.Sprintf("element #%s", id)}
}

// CSS is the first element a CSS selector finds.
func CSS(selector string) Locator {
	return Locator{js: "root.querySelector(" + jsString(selector) + ")", desc: fmt.Sprintf("element %s", selector)}
}

// XPath is the first element an XPath expression finds, described as desc
// in messages. An expression starting with . looks inside the Page's
// Within.
func XPath(expr, desc string) Locator { return Locator{js: byXPath(expr), desc: desc} }

// FormWith is the form holding the group of fields (fieldset) whose legend
// reads legend: on a page that repeats a form, such as the ballot of a
// member who holds a proxy, with a vote form for each member, it is the
// one a person means by its legend. See Page.Within.
func FormWith(legend string) Locator {
	return Locator{
		js:   byXPath(".//form[.//fieldset/legend[normalize-space()=" + xpathString(legend) + "]]"),
		desc: fmt.Sprintf("the form of %q", legend),
	}
}

// in is the JavaScript expression giving the element inside root, an
// expression giving an element or the document; null when root is null.
func (l Locator) in(root string) string {
	return "((root) => root === null ? null : (" + l.js + "))(" + root + ")"
}

// inside is l looked for inside the element of scope.
func (l Locator) inside(scope Locator) Locator {
	return Locator{js: l.in(scope.js), desc: l.desc + " in " + scope.desc}
}

func byXPath(expr string) string {
	return "document.evaluate(" + jsString(expr) + ", root, null, XPathResult.FIRST_ORDERED_NODE_TYPE, null).singleNodeValue"
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// xpathString quotes s as an XPath 1.0 string literal, which has no escapes:
// a string with both kinds of quote is put together with concat().
func xpathString(s string) string {
	switch {
	case !strings.Contains(s, "'"):
		return "'" + s + "'"
	case !strings.Contains(s, `"`):
		return `"` + s + `"`
	}
	parts := strings.Split(s, "'")
	return "concat('" + strings.Join(parts, `', "'", '`) + "')"
}
