//! Deleting a user with everything that hangs off them.

use std::sync::Arc;

use chrono::Duration;
use gatehouse_domain::StoreError;
use gatehouse_domain::store::{
    AuthCodeRow, ChallengeRow, ClientRow, CodeUse, FactorSummary, GrantRow, OneTimeTokenRow,
    PasswordRow, RecoveryCodeRow, RefreshTokenRow, SessionRow, Store, TotpRow, WebauthnRow, new_id,
};
use uuid::Uuid;

use crate::fixtures::{epoch, group, insert_user, role, user};

/// A digest: `seed`, then random bytes, so the digests of different users never collide.
fn digest(seed: u8) -> Vec<u8> {
    let mut bytes = vec![seed];
    bytes.extend_from_slice(new_id().as_bytes());
    bytes.extend_from_slice(new_id().as_bytes());
    bytes
}

/// What a test stored for one user, to look for afterwards.
struct Belongings {
    session: SessionRow,
    token: OneTimeTokenRow,
    challenge: ChallengeRow,
    code: AuthCodeRow,
    grant: GrantRow,
    refresh_token: RefreshTokenRow,
}

/// Stores, for `user_id`, one of everything a user can have: a password, a session, a one-time
/// token, a TOTP device, a recovery code, a WebAuthn credential, an enrolment deadline, a
/// challenge, a direct role, a group membership, an authorization code, a grant with a refresh
/// token, and a consent.
async fn give_everything(
    store: &Arc<dyn Store>,
    user_id: Uuid,
    client_id: Uuid,
    role_id: Uuid,
    group_id: Uuid,
) -> Belongings {
    let now = epoch();
    let session = SessionRow {
        id: new_id(),
        token_hash: digest(1),
        user_id,
        created_at: now,
        last_seen_at: now,
        expires_at: now + Duration::days(1),
        revoked_at: None,
        user_agent: None,
        ip: None,
        amr: r#"["pwd"]"#.to_owned(),
        authenticated_at: now,
    };
    let token = OneTimeTokenRow {
        id: new_id(),
        token_hash: digest(2),
        purpose: "email_verification".to_owned(),
        user_id: Some(user_id),
        email: None,
        code_hash: None,
        attempts: 0,
        max_attempts: 5,
        created_at: now,
        expires_at: now + Duration::hours(1),
        consumed_at: None,
    };
    let challenge = ChallengeRow {
        id: new_id(),
        token_hash: digest(3),
        kind: "sign_in".to_owned(),
        user_id: Some(user_id),
        session_id: Some(session.id),
        state: vec![1, 2, 3],
        attempts: 0,
        created_at: now,
        expires_at: now + Duration::minutes(5),
        consumed_at: None,
    };
    let code = AuthCodeRow {
        code_hash: digest(4),
        grant_id: new_id(),
        client_id,
        user_id,
        session_id: Some(session.id),
        redirect_uri: "https://app.example.test/callback".to_owned(),
        scope: "openid".to_owned(),
        audience: None,
        nonce: None,
        code_challenge: None,
        auth_time: now,
        amr: r#"["pwd"]"#.to_owned(),
        acr: None,
        created_at: now,
        expires_at: now + Duration::minutes(1),
        consumed_at: None,
    };
    let grant = GrantRow {
        id: new_id(),
        client_id,
        user_id: Some(user_id),
        session_id: Some(session.id),
        scope: "openid offline_access".to_owned(),
        audience: None,
        auth_time: now,
        amr: r#"["pwd"]"#.to_owned(),
        acr: None,
        created_at: now,
        expires_at: now + Duration::days(30),
        revoked_at: None,
        revoke_reason: None,
    };
    let refresh_token = RefreshTokenRow {
        token_hash: digest(5),
        grant_id: grant.id,
        created_at: now,
        used_at: None,
    };
    let password = PasswordRow {
        user_id,
        hash: "$argon2id$v=19$m=19456,t=2,p=1$hash".to_owned(),
        updated_at: now,
    };
    let totp = TotpRow {
        id: new_id(),
        user_id,
        name: "Phone".to_owned(),
        secret: vec![9; 20],
        created_at: now,
        confirmed_at: Some(now),
        last_step: None,
        last_used_at: None,
    };
    let recovery = RecoveryCodeRow {
        id: new_id(),
        user_id,
        code_mac: digest(6),
        created_at: now,
        used_at: None,
    };
    let webauthn = WebauthnRow {
        id: new_id(),
        user_id,
        name: "Key".to_owned(),
        credential_id: digest(7),
        credential: "{}".to_owned(),
        kind: "security_key".to_owned(),
        sign_count: 0,
        backup_eligible: false,
        backup_state: false,
        created_at: now,
        last_used_at: None,
    };
    let mut transaction = store.begin().await.unwrap();
    transaction.set_password(&password).await.unwrap();
    transaction.insert_session(&session).await.unwrap();
    transaction.insert_one_time_token(&token).await.unwrap();
    transaction.insert_totp(&totp).await.unwrap();
    transaction
        .replace_recovery_codes(user_id, &[recovery])
        .await
        .unwrap();
    transaction.insert_webauthn(&webauthn).await.unwrap();
    transaction.insert_challenge(&challenge).await.unwrap();
    transaction.lock_rbac().await.unwrap();
    transaction
        .assign_role(user_id, role_id, None, now)
        .await
        .unwrap();
    transaction
        .add_group_member(group_id, user_id)
        .await
        .unwrap();
    transaction.bump_rbac_version().await.unwrap();
    transaction.insert_code(&code).await.unwrap();
    transaction.insert_grant(&grant).await.unwrap();
    transaction
        .insert_refresh_token(&refresh_token)
        .await
        .unwrap();
    transaction
        .grant_consent(user_id, client_id, &["openid".to_owned()], now)
        .await
        .unwrap();
    transaction.commit().await.unwrap();
    store.mfa().enrolment_due(user_id, now).await.unwrap();
    Belongings {
        session,
        token,
        challenge,
        code,
        grant,
        refresh_token,
    }
}

/// Whether anything of `belongings` (of `user_id`) is still stored.
async fn anything_left(store: &Arc<dyn Store>, user_id: Uuid, belongings: &Belongings) -> bool {
    let now = epoch() + Duration::seconds(1);
    let users = store.users();
    let mfa = store.mfa();
    let oauth = store.oauth();
    let assignments = store.rbac().user_assignments(user_id).await.unwrap();
    let found = [
        users.by_id(user_id).await.unwrap().is_some(),
        users.password(user_id).await.unwrap().is_some(),
        !store
            .sessions()
            .list_for_user(user_id, now)
            .await
            .unwrap()
            .is_empty(),
        mfa.factor_summary(user_id).await.unwrap() != FactorSummary::default(),
        !mfa.totp_devices(user_id).await.unwrap().is_empty(),
        !mfa.webauthn_credentials(user_id).await.unwrap().is_empty(),
        mfa.challenge(&belongings.challenge.token_hash, now)
            .await
            .unwrap()
            .is_some(),
        !assignments.roles.is_empty() || !assignments.groups.is_empty(),
        oauth.grant(belongings.grant.id).await.unwrap().is_some(),
        !oauth
            .grants_for_user(user_id, now)
            .await
            .unwrap()
            .is_empty(),
        oauth
            .refresh_token(&belongings.refresh_token.token_hash)
            .await
            .unwrap()
            .is_some(),
        !oauth.consents_for_user(user_id).await.unwrap().is_empty(),
    ];
    // The one-time values are only read by using them: use them and roll back.
    let mut transaction = store.begin().await.unwrap();
    let token = transaction
        .consume_one_time_token(&belongings.token.token_hash, &belongings.token.purpose, now)
        .await
        .unwrap();
    let code = transaction
        .redeem_code(&belongings.code.code_hash, now)
        .await
        .unwrap();
    transaction.rollback().await.unwrap();
    found.contains(&true) || token.is_some() || code != CodeUse::Unknown
}

/// Deleting a user takes the user and everything that hangs off them (password, sessions,
/// one-time tokens, factors, the enrolment deadline, challenges, role assignments, group
/// memberships, codes, grants with their refresh tokens, consents), and works once. Another
/// user's belongings, the client, the role and the group stay.
pub async fn delete_user_takes_everything_that_hangs_off_them(store: Arc<dyn Store>) {
    let doomed = insert_user(&store, user("doomed@example.test")).await.id;
    let kept = insert_user(&store, user("kept@example.test")).await.id;
    let (held, team) = (role("held"), group("team"));
    let client = ClientRow {
        id: new_id(),
        client_id: "deletion-app".to_owned(),
        name: "Deletion".to_owned(),
        public: true,
        native: false,
        secret_mac: None,
        auth_method: None,
        jwks: None,
        redirect_uris: vec!["https://app.example.test/callback".to_owned()],
        post_logout_redirect_uris: Vec::new(),
        grant_types: vec!["authorization_code".to_owned()],
        scopes: vec!["openid".to_owned()],
        default_scopes: Vec::new(),
        audiences: Vec::new(),
        default_audience: None,
        web_origins: Vec::new(),
        consent: "ask".to_owned(),
        signing_alg: "EdDSA".to_owned(),
        access_token_ttl_secs: 300,
        refresh_token_ttl_secs: 86_400,
        created_at: epoch(),
        updated_at: epoch(),
        disabled_at: None,
        version: 1,
    };
    let mut transaction = store.begin().await.unwrap();
    transaction.lock_rbac().await.unwrap();
    transaction.upsert_role(&held).await.unwrap();
    transaction.upsert_group(&team).await.unwrap();
    transaction.bump_rbac_version().await.unwrap();
    transaction.insert_client(&client).await.unwrap();
    transaction.commit().await.unwrap();
    let doomed_things = give_everything(&store, doomed, client.id, held.id, team.id).await;
    let kept_things = give_everything(&store, kept, client.id, held.id, team.id).await;
    assert!(anything_left(&store, doomed, &doomed_things).await);

    let mut transaction = store.begin().await.unwrap();
    assert!(transaction.delete_user(doomed).await.unwrap());
    assert!(!transaction.delete_user(doomed).await.unwrap());
    assert!(!transaction.delete_user(Uuid::now_v7()).await.unwrap());
    transaction.commit().await.unwrap();

    assert!(!anything_left(&store, doomed, &doomed_things).await);
    // A stored deadline would be returned; with none, storing one needs the user.
    let due = store.mfa().enrolment_due(doomed, epoch()).await;
    assert!(matches!(due, Err(StoreError::NotFound(_))), "{due:?}");
    let session = store.sessions().list_for_user(kept, epoch()).await.unwrap();
    assert_eq!(session, vec![kept_things.session.clone()]);
    let grants = store.oauth().grants_for_user(kept, epoch()).await.unwrap();
    assert_eq!(grants, vec![kept_things.grant.clone()]);
    assert!(anything_left(&store, kept, &kept_things).await);
    assert_eq!(
        store.rbac().group_members(team.id).await.unwrap(),
        vec![kept]
    );
    assert_eq!(
        store.oauth().client_by_id(client.id).await.unwrap(),
        Some(client)
    );
    let model = store.rbac().model().await.unwrap();
    assert!(model.roles.iter().any(|row| row.id == held.id));
    assert!(model.groups.iter().any(|row| row.id == team.id));
}
