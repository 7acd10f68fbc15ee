//! The kind a class name alone proves, whatever kind the shim reported: the inputs and web
//! views of UIKit, Android and React Native (Paper and Fabric), so that a shim that reports
//! `RCTUITextField` or `ReactEditText` as a plain view (an older wrapper, a React Native
//! surface walked generically) still gets them masked by the core's defaults.
//!
//! Matched on the simple name (after the last `.` or `$`: `android.widget.EditText`,
//! `Module.Class`, `Outer$Inner`), exactly or by a suffix that only input classes use
//! (`…EditText` covers `AppCompatEditText`, `TextInputEditText`, `ReactEditText`;
//! `…TextField` covers `UISearchTextField`, `RCTUITextField` and an app's own fields).
//! A name that says `Password` or `SecureText` is a secure input. Erring towards masking is
//! the point: a custom `…TextField` that is not an input is masked too, and the app can
//! `rj-unmask` it (a secure input never).

use super::NodeKind;

/// Exact simple names of editable text views whose names do not end like the suffixes below.
const INPUTS: &[&str] = &[
    "UITextView",
    "RCTUITextView",
    "EditText",
    "SearchAutoComplete",
    "RCTBaseTextInputView",
];

/// Suffixes only input classes use.
const INPUT_SUFFIXES: &[&str] = &[
    "EditText",
    "TextField",
    "AutoCompleteTextView",
    "TextInputView",
    "TextInputComponentView",
];

/// Exact simple names and suffixes of web views.
const WEB_VIEWS: &[&str] = &["WKWebView", "UIWebView", "WebView", "RNCWebView"];
const WEB_SUFFIXES: &[&str] = &["WebView"];

/// The kind `class_name` proves, if any (`None`: the reported kind stands alone).
pub fn kind_of_class(class_name: &str) -> Option<NodeKind> {
    let simple = class_name.rsplit(['.', '$']).next().unwrap_or(class_name);
    let ends = |suffixes: &[&str]| suffixes.iter().any(|s| simple.ends_with(s));
    let input = INPUTS.contains(&simple) || ends(INPUT_SUFFIXES);
    if input && (simple.contains("Password") || simple.contains("SecureText")) {
        Some(NodeKind::SecureInput)
    } else if input {
        Some(NodeKind::TextInput)
    } else if WEB_VIEWS.contains(&simple) || ends(WEB_SUFFIXES) {
        Some(NodeKind::WebView)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn platform_and_react_native_classes() {
        use NodeKind::*;
        for (class, want) in [
            ("RCTUITextField", Some(TextInput)),
            ("RCTUITextView", Some(TextInput)),
            ("RCTTextInputComponentView", Some(TextInput)),
            ("RCTSinglelineTextInputView", Some(TextInput)),
            ("RCTMultilineTextInputView", Some(TextInput)),
            (
                "com.facebook.react.views.textinput.ReactEditText",
                Some(TextInput),
            ),
            ("UITextField", Some(TextInput)),
            ("UITextView", Some(TextInput)),
            ("UISearchTextField", Some(TextInput)),
            ("android.widget.EditText", Some(TextInput)),
            (
                "androidx.appcompat.widget.AppCompatEditText",
                Some(TextInput),
            ),
            (
                "com.google.android.material.textfield.TextInputEditText",
                Some(TextInput),
            ),
            ("android.widget.AutoCompleteTextView", Some(TextInput)),
            ("android.widget.MultiAutoCompleteTextView", Some(TextInput)),
            (
                "android.widget.SearchView$SearchAutoComplete",
                Some(TextInput),
            ),
            ("MyApp.CardNumberTextField", Some(TextInput)),
            ("MyApp.PasswordTextField", Some(SecureInput)),
            ("RCTSecureTextField", Some(SecureInput)),
            ("WKWebView", Some(WebView)),
            ("android.webkit.WebView", Some(WebView)),
            ("RNCWebView", Some(WebView)),
            // Plain text and containers are not inputs.
            ("android.widget.TextView", None),
            ("UILabel", None),
            ("RCTTextView", None),
            ("RCTParagraphComponentView", None),
            ("UIView", None),
            ("PasswordHint", None),
        ] {
            assert_eq!(kind_of_class(class), want, "{class}");
        }
    }
}
