//! Who is asking, as far as the request tells: client IP (after trusted-proxy rules), user
//! agent, request id, preferred language.

use crate::audit::PersonalData;

/// The caller's request.
#[derive(Debug, Clone, Default)]
pub struct RequestContext {
    /// The client IP address.
    pub ip: Option<String>,
    /// The User-Agent header.
    pub user_agent: Option<String>,
    /// The request id.
    pub request_id: Option<String>,
    /// The preferred language (BCP 47), from the user or Accept-Language.
    pub locale: Option<String>,
}

impl RequestContext {
    /// The personal data an audit event about this request carries.
    pub fn personal(&self, email: Option<&str>) -> PersonalData {
        PersonalData {
            ip: self.ip.clone(),
            user_agent: self.user_agent.clone(),
            email: email.map(str::to_owned),
        }
    }
}

impl RequestContext {
    /// An audit event about this request: the subject's personal data (IP, user agent, and the
    /// email typed, if any) is sealed under the subject's key.
    pub fn event(
        &self,
        actor: crate::audit::Actor,
        action: &str,
        outcome: crate::audit::Outcome,
        subject: Option<uuid::Uuid>,
        email: Option<&str>,
    ) -> crate::audit::AuditEvent {
        let mut event = crate::audit::AuditEvent::new(actor, action);
        event.outcome = outcome;
        event.request_id = self.request_id.clone();
        event.subject = subject;
        event.target = subject.map(|id| format!("user:{id}"));
        event.personal = Some(self.personal(email));
        event
    }
}
