use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::*;

const PARAM: &str = "One or several required parameters are missing or incorrect. An incorrect resource ID also raises this kind of error.";

both_backends!(legacy_create_defaults_and_views, |app| {
    let api = app.client().await;
    // The Node SDK's own test user: no UserCategory, no PersonType, owner data present.
    let r = api
        .post(
            "/users/natural",
            json!({"FirstName":"John NodejsSDK","LastName":"Doe NodejsSDK","Email":"john.doe@sample.org","Address":{"AddressLine1":"4101 Reservoir Rd NW","AddressLine2":"","City":"Washington","Region":"District of Columbia","PostalCode":"20007","Country":"US"},"Birthday":188301600,"Nationality":"FR","CountryOfResidence":"FR","Occupation":"programmer","IncomeRange":3,"TermsAndConditionsAccepted":true}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let u = r.json();
    assert_eq!(u["UserCategory"], "OWNER");
    assert_eq!(u["UserStatus"], "ACTIVE");
    assert_eq!(u["PersonType"], "NATURAL");
    assert_eq!(u["KYCLevel"], "LIGHT");
    assert_eq!(u["Address"]["City"], "Washington");
    assert!(
        u.get("PendingUserAction").is_none(),
        "legacy shapes have no PendingUserAction (SDKs pick the class by it)"
    );
    assert!(u["Id"].as_str().unwrap().starts_with("user_m_"));
    // Without owner data, a legacy user is a payer.
    let payer = api
        .post(
            "/users/natural",
            json!({"FirstName":"P","LastName":"Q","Email":"p@q.org"}),
        )
        .await
        .json();
    assert_eq!(payer["UserCategory"], "PAYER");
    assert_eq!(payer["TermsAndConditionsAccepted"], false);
    // Legal users: flat fields in the legacy shape, nested in the SCA shape.
    let legal = api.post("/users/legal", legal_owner_body("BUSINESS")).await;
    assert_eq!(legal.status, 200, "{}", legal.text);
    let id = legal.json()["Id"].as_str().unwrap().to_owned();
    let legacy = api.get(&format!("/users/legal/{id}")).await.json();
    assert_eq!(legacy["LegalRepresentativeFirstName"], "Alex");
    assert!(legacy.get("LegalRepresentative").is_none());
    let sca = api.get(&format!("/sca/users/{id}")).await.json();
    assert_eq!(sca["LegalRepresentative"]["FirstName"], "Alex");
    assert_eq!(sca["LegalRepresentative"].as_object().unwrap().len(), 9);
    assert_eq!(sca["HeadquartersAddress"].as_object().unwrap().len(), 6);
    assert_eq!(sca["LegalRepresentativeAddress"]["City"], Value::Null);
    // Typed view paths refuse the other person type.
    assert_eq!(api.get(&format!("/users/natural/{id}")).await.status, 404);
    assert_error(
        &api.get("/users/user_m_00000000000000000000000000").await,
        404,
        "The ressource does not exist",
        "ressource_not_found",
        json!({"RessourceNotFound": "Cannot found the ressource User with the id=user_m_00000000000000000000000000"}),
    );
});

both_backends!(create_validation_errors, |app| {
    let api = app.client().await;
    assert_error(
        &api.post("/users/natural", json!({"LastName": "Doe", "Email": "john.doe@sample"}))
            .await,
        400,
        PARAM,
        "param_error",
        json!({
            "Email": "The field Email must match the regular expression '([a-zA-Z0-9!#$%&'*+/=?^_`{|}~-]+(?:\\.[a-zA-Z0-9!#$%&'*+/=?^_`{|}~-]+)*)@(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?\\.)+[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?'.",
            "FirstName": "The FirstName field is required."
        }),
    );
    // An SCA legal OWNER without the representative's e-mail: the documented body.
    let mut body = json!({
        "Name": "Acme", "LegalPersonType": "BUSINESS", "Email": "contact@acme.example", "CompanyNumber": "123",
        "LegalRepresentative": {"FirstName": "A", "LastName": "B", "Birthday": 188352000, "Nationality": "FR", "CountryOfResidence": "FR"},
        "HeadquartersAddress": {"AddressLine1": "1 rue", "City": "Paris", "PostalCode": "75002", "Country": "FR"},
        "TermsAndConditionsAccepted": true, "UserCategory": "OWNER", "ScaContext": "USER_PRESENT"
    });
    assert_error(
        &api.post("/sca/users/legal", body.clone()).await,
        400,
        PARAM,
        "param_error",
        json!({"LegalRepresentative.Email": "'Email' must not be empty."}),
    );
    body["LegalRepresentative"]["Email"] = json!("a.b+accept@acme.example");
    body["TermsAndConditionsAccepted"] = json!(false);
    assert_error(
        &api.post("/sca/users/legal", body.clone()).await,
        403,
        "User must accept the terms and conditions before account creation or modification.",
        "user_hasnt_accepted_terms_and_conditions",
        Value::Null,
    );
    body["TermsAndConditionsAccepted"] = json!(true);
    // Acting for an absent sole trader needs a proxy consent Verity does not model.
    body["LegalPersonType"] = json!("SOLETRADER");
    body["ScaContext"] = json!("USER_NOT_PRESENT");
    assert_error(
        &api.post("/sca/users/legal", body.clone()).await,
        403,
        "You are not authorized to perform this action. The user has not provided consent to the requested proxy",
        "sca_proxy_missing",
        Value::Null,
    );
    body["ScaContext"] = json!("USER_PRESENT");
    body["LegalPersonType"] = json!("BUSINESS_LTD");
    assert_error(
        &api.post("/sca/users/legal", body.clone()).await,
        400,
        PARAM,
        "param_error",
        json!({"LegalPersonType": "The value BUSINESS_LTD is not valid for LegalPersonType."}),
    );
    // The SCA endpoints require the category and the terms flag.
    assert_error(
        &api.post(
            "/sca/users/natural",
            json!({"FirstName": "A", "LastName": "B", "Email": "a@b.org"}),
        )
        .await,
        400,
        PARAM,
        "param_error",
        json!({"TermsAndConditionsAccepted": "The TermsAndConditionsAccepted field is required.", "UserCategory": "The UserCategory field is required."}),
    );
    assert_eq!(api.get("/users").await.json(), json!([]), "nothing half-written");
});

both_backends!(sca_owners_enrol_unless_sandbox_accept, |app| {
    let api = app.client().await;
    let base = json!({
        "FirstName": "Jane", "LastName": "Roe", "Birthday": 188352000, "Nationality": "FR", "CountryOfResidence": "FR",
        "TermsAndConditionsAccepted": true, "UserCategory": "OWNER", "ScaContext": "USER_PRESENT"
    });
    let mut accept = base.clone();
    accept["Email"] = json!("jane+accept@example.com");
    let skipped = api.post("/sca/users/natural", accept).await.json();
    assert_eq!(skipped["UserStatus"], "ACTIVE");
    assert_eq!(skipped["PendingUserAction"], Value::Null);
    let mut plain = base.clone();
    plain["Email"] = json!("jane@example.com");
    let pending = api.post("/sca/users/natural", plain).await.json();
    assert_eq!(pending["UserStatus"], "PENDING_USER_ACTION");
    let link = pending["PendingUserAction"]["RedirectUrl"].as_str().unwrap().to_owned();
    assert!(link.starts_with(&format!("{}/sca/", app.base)));
    // The enrolment page completes SCA and returns to the platform.
    let page = app.http.get(&link).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let _ = http_client();
    let no_redirect = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let done = no_redirect
        .post(format!("{link}?returnUrl=https%3A%2F%2Fplatform.example%2Fdone"))
        .send()
        .await
        .unwrap();
    assert_eq!(done.status(), 303);
    assert_eq!(
        done.headers()["location"],
        "https://platform.example/done?controlStatus=VALIDATED"
    );
    let id = pending["Id"].as_str().unwrap();
    let after = api.get(&format!("/sca/users/{id}")).await.json();
    assert_eq!(after["UserStatus"], "ACTIVE");
    assert_eq!(after["PendingUserAction"], Value::Null);
    assert_eq!(
        app.http.get(&link).send().await.unwrap().status(),
        404,
        "a used link is dead"
    );
    // Business users never get SCA.
    let mut biz = legal_owner_body("BUSINESS");
    biz["LegalRepresentativeEmail"] = json!("plain@example.com");
    let created = api.post("/sca/users/legal", biz).await.json();
    assert_eq!(created["UserStatus"], "ACTIVE");
});

both_backends!(categorize_update_enroll_close, |app| {
    let api = app.client().await;
    let payer = api
        .post("/sca/users/natural", json!({"FirstName": "P", "LastName": "Q", "Email": "p@q.org", "TermsAndConditionsAccepted": false, "UserCategory": "PAYER"}))
        .await
        .json();
    let id = payer["Id"].as_str().unwrap().to_owned();
    assert_error(
        &api.post(&format!("/sca/users/{id}/enrollment"), json!({})).await,
        400,
        "This endpoint is not allowed for User categorized as PAYER",
        "not_allowed_for_user_category_payer",
        Value::Null,
    );
    let missing = api
        .put(
            &format!("/sca/users/natural/{id}/category"),
            json!({"UserCategory": "OWNER", "TermsAndConditionsAccepted": true}),
        )
        .await;
    assert_error(
        &missing,
        400,
        PARAM,
        "param_error",
        json!({"Birthday": "The Birthday field is required.", "CountryOfResidence": "The CountryOfResidence field is required.", "Nationality": "The Nationality field is required."}),
    );
    let owner = api
        .put(
            &format!("/sca/users/natural/{id}/category/"),
            json!({"UserCategory": "OWNER", "TermsAndConditionsAccepted": true, "Birthday": 188352000, "Nationality": "FR", "CountryOfResidence": "FR", "ScaContext": "USER_PRESENT"}),
        )
        .await;
    assert_eq!(owner.status, 200, "{}", owner.text);
    assert_eq!(owner.json()["UserCategory"], "OWNER");
    assert_eq!(owner.json()["UserStatus"], "PENDING_USER_ACTION");
    let enrol = api.post(&format!("/sca/users/{id}/enrollment"), json!({})).await;
    assert_eq!(enrol.status, 200);
    assert!(
        enrol.json()["PendingUserAction"]["RedirectUrl"]
            .as_str()
            .unwrap()
            .contains("/sca/")
    );
    assert_error(
        &api.put(&format!("/users/natural/{id}"), json!({"UserCategory": "PAYER"}))
            .await,
        400,
        PARAM,
        "param_error",
        json!({"UserCategory": "A User OWNER can't be modified to a user PAYER"}),
    );
    assert_error(
        &api.put(
            &format!("/users/natural/{id}"),
            json!({"TermsAndConditionsAccepted": false}),
        )
        .await,
        400,
        "The user cannot revoke the terms and conditions acceptance",
        "invalid_action",
        Value::Null,
    );
    let updated = api
        .put(
            &format!("/users/natural/{id}"),
            json!({"Occupation": "baker", "Tag": "t2"}),
        )
        .await
        .json();
    assert_eq!(updated["Occupation"], "baker");
    assert_eq!(updated["FirstName"], "P", "fields not sent are kept");
    assert_eq!(
        api.send(reqwest::Method::DELETE, &format!("/users/natural/{id}"), None, &[])
            .await
            .status,
        204
    );
    assert_eq!(api.get(&format!("/users/{id}")).await.json()["UserStatus"], "CLOSED");
    assert_error(
        &api.send(reqwest::Method::DELETE, &format!("/users/natural/{id}"), None, &[])
            .await,
        400,
        "User already closed",
        "invalid_action",
        Value::Null,
    );
});
