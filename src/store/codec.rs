//! Stored records: postcard behind a version byte of our own, converted to and
//! from the domain types here so that the domain never sees redb or postcard.

use serde::{Deserialize, Serialize};

use crate::domain::{Millis, Phone, Show, ShowId, Ticket, TicketId};

const RECORD_VERSION: u8 = 1;

#[derive(Debug, thiserror::Error)]
#[error("undecodable record: {0}")]
pub struct DecodeError(pub String);

#[derive(Serialize, Deserialize)]
struct ShowRecord {
    starts_at: Millis,
    capacity: u32,
    sold: u32,
}

#[derive(Serialize, Deserialize)]
enum PhoneRecord {
    Number(u64),
    Text(String),
}

#[derive(Serialize, Deserialize)]
struct TicketRecord {
    show: u128,
    user_name: String,
    phone: PhoneRecord,
    count: u32,
}

fn encode<T: Serialize>(record: &T) -> Vec<u8> {
    let mut bytes = vec![RECORD_VERSION];
    // Serializing plain structs into a Vec cannot fail.
    bytes.extend(postcard::to_stdvec(record).expect("postcard encodes plain structs"));
    bytes
}

fn decode<'a, T: Deserialize<'a>>(bytes: &'a [u8]) -> Result<T, DecodeError> {
    match bytes.split_first() {
        Some((&RECORD_VERSION, body)) => {
            postcard::from_bytes(body).map_err(|error| DecodeError(error.to_string()))
        }
        Some((version, _)) => Err(DecodeError(format!("unknown record version {version}"))),
        None => Err(DecodeError("empty record".into())),
    }
}

pub fn encode_show(show: &Show) -> Vec<u8> {
    encode(&ShowRecord {
        starts_at: show.starts_at,
        capacity: show.capacity,
        sold: show.sold,
    })
}

pub fn decode_show(id: u128, bytes: &[u8]) -> Result<Show, DecodeError> {
    let record: ShowRecord = decode(bytes)?;
    Ok(Show {
        id: ShowId::from_u128(id),
        starts_at: record.starts_at,
        capacity: record.capacity,
        sold: record.sold,
    })
}

pub fn encode_ticket(ticket: &Ticket) -> Vec<u8> {
    encode(&TicketRecord {
        show: ticket.show_id.as_u128(),
        user_name: ticket.user_name.clone(),
        phone: match &ticket.phone {
            Phone::Number(number) => PhoneRecord::Number(*number),
            Phone::Text(text) => PhoneRecord::Text(text.clone()),
        },
        count: ticket.count,
    })
}

pub fn decode_ticket(id: u128, bytes: &[u8]) -> Result<Ticket, DecodeError> {
    let record: TicketRecord = decode(bytes)?;
    Ok(Ticket {
        id: TicketId::from_u128(id),
        show_id: ShowId::from_u128(record.show),
        user_name: record.user_name,
        phone: match record.phone {
            PhoneRecord::Number(number) => Phone::Number(number),
            PhoneRecord::Text(text) => Phone::Text(text),
        },
        count: record.count,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip() {
        let show = Show {
            id: ShowId::from_u128(7),
            starts_at: -5,
            capacity: 20,
            sold: 3,
        };
        assert_eq!(decode_show(7, &encode_show(&show)).unwrap(), show);
        for phone in [
            Phone::Number(9876543210),
            Phone::Text("+91 98765 43210".into()),
        ] {
            let ticket = Ticket {
                id: TicketId::from_u128(u128::MAX),
                show_id: ShowId::from_u128(1 << 100),
                user_name: "Asha".into(),
                phone,
                count: 2,
            };
            assert_eq!(
                decode_ticket(u128::MAX, &encode_ticket(&ticket)).unwrap(),
                ticket
            );
        }
    }

    #[test]
    fn foreign_bytes_are_an_error_not_a_panic() {
        assert!(decode_show(1, &[]).is_err());
        assert!(decode_show(1, &[2, 0, 0, 0]).is_err());
        assert!(decode_show(1, &[RECORD_VERSION]).is_err());
        assert!(decode_ticket(1, &[RECORD_VERSION, 0xff, 0xff]).is_err());
    }
}
