//! The five routes through Rocket, as an old client uses them.

use rocket::http::Status;
use serde_json::json;

use crate::support::*;

#[test]
fn a_booking_answers_with_the_ticket_and_can_be_read_back() {
    let service = local();
    let data = service.book("Asha", 2, SHOW);
    assert_eq!(data["userName"], "Asha");
    assert_eq!(data["phoneNumber"], json!(9876543210u64));
    assert_eq!(data["ticketCount"], 2);
    assert_eq!(data["showTime"], "2030-01-02 18:30:00");
    let ticket = data["ticketId"].as_str().unwrap();
    let (status, body) = service.get(&format!("/api/user-details?ticketId={ticket}"));
    assert_eq!(status, Status::Ok);
    assert_eq!(
        body,
        json!({"success": true, "userDetails": {"userName": "Asha", "phoneNumber": 9876543210u64}})
    );
}
