//! The protobuf codec of every claimdesk service: tonic-prost's, except that a request body
//! that is not a valid protobuf message is the caller's error (INVALID_ARGUMENT), not
//! INTERNAL. Core's answers are produced by the same contract, so on the client side a decode
//! failure means a broken or foreign peer; the gateway reports every non-OK status it does not
//! recognise from core as a bad answer.

use std::marker::PhantomData;

use tonic::{
    Status,
    codec::{BufferSettings, Codec, DecodeBuf, Decoder},
};
use tonic_prost::{ProstCodec, ProstEncoder};

/// Prefix of the message of the status a malformed message gets; the gateway recognises it.
pub const MALFORMED_MESSAGE: &str = "the message is not valid protobuf";

#[derive(Debug, Clone)]
pub struct ClaimdeskCodec<T, U>(PhantomData<(T, U)>);

impl<T, U> Default for ClaimdeskCodec<T, U> {
    fn default() -> Self {
        ClaimdeskCodec(PhantomData)
    }
}

impl<T, U> Codec for ClaimdeskCodec<T, U>
where
    T: prost::Message + Send + 'static,
    U: prost::Message + Default + Send + 'static,
{
    type Encode = T;
    type Decode = U;
    type Encoder = ProstEncoder<T>;
    type Decoder = StrictDecoder<U>;

    fn encoder(&mut self) -> Self::Encoder {
        ProstCodec::<T, U>::raw_encoder(BufferSettings::default())
    }

    fn decoder(&mut self) -> Self::Decoder {
        StrictDecoder(PhantomData)
    }
}

/// Decodes `U`, answering INVALID_ARGUMENT for bytes that are not a valid `U`.
#[derive(Debug, Clone)]
pub struct StrictDecoder<U>(PhantomData<U>);

impl<U: prost::Message + Default> Decoder for StrictDecoder<U> {
    type Item = U;
    type Error = Status;

    fn decode(&mut self, buf: &mut DecodeBuf<'_>) -> Result<Option<U>, Status> {
        U::decode(buf).map(Some).map_err(|e| Status::invalid_argument(format!("{MALFORMED_MESSAGE}: {e}")))
    }

    fn buffer_settings(&self) -> BufferSettings {
        BufferSettings::default()
    }
}
