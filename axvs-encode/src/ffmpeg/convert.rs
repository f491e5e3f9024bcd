//! Camera pixels into the encoder's pictures.

use axvs_core::{CameraInfo, PixelFormat};
use ff::ffi;
use ff::format::Pixel;
use ffmpeg_next as ff;

use crate::{EncodeError, OutputPixelFormat};

/// The FFmpeg pixel format of an output format.
pub(super) fn output_pixel(format: OutputPixelFormat) -> Pixel {
    match format {
        OutputPixelFormat::Yuv420p => Pixel::YUV420P,
        OutputPixelFormat::Yuv444p => Pixel::YUV444P,
        OutputPixelFormat::Gray => Pixel::GRAY8,
        OutputPixelFormat::Gray16 => Pixel::GRAY16LE,
    }
}

/// The FFmpeg pixel format of a camera's frames.
pub(super) fn input_pixel(format: PixelFormat) -> Pixel {
    match format {
        PixelFormat::Mono8 => Pixel::GRAY8,
        PixelFormat::Mono16 => Pixel::GRAY16LE,
        PixelFormat::Bgr8 => Pixel::BGR24,
        PixelFormat::Rgb8 => Pixel::RGB24,
        PixelFormat::BayerRg8 => Pixel::BAYER_RGGB8,
        PixelFormat::BayerGb8 => Pixel::BAYER_GBRG8,
        PixelFormat::BayerGr8 => Pixel::BAYER_GRBG8,
        PixelFormat::BayerBg8 => Pixel::BAYER_BGGR8,
    }
}

/// FFmpeg's name of a pixel format, for messages.
pub(super) fn pixel_name(p: Pixel) -> String {
    format!("{p:?}").to_ascii_lowercase()
}

/// How camera pixels become encoder pixels.
pub(super) enum Conversion {
    /// Mono8 into a luma plane: a row copy, no colour conversion (chroma, if any, stays neutral).
    Luma,
    /// Mono16 into an 8-bit luma plane, each value rounded to its top 8 bits (swscale would dither, which
    /// writes a checkerboard into flat areas).
    Luma16,
    /// BGR/RGB into full-range BT.601 YUV 4:2:0 or 4:4:4 with yuvutils-rs' SIMD converters: swscale's
    /// fast path for this writes limited range, and its generic path costs about 5× more.
    Rgb { bgr: bool, yuv420: bool },
    /// Bayer into YUV: swscale demosaics into a BGR frame, which then goes as `Rgb` (swscale's own Bayer to
    /// YUV path writes limited range whatever it is told).
    Bayer {
        demosaic: Scaler,
        bgr_frame: Vec<u8>,
        yuv420: bool,
    },
    /// Anything else, through swscale.
    Scale(Scaler),
}

impl Conversion {
    /// The conversion of `camera`'s frames into pictures of `out_pixel`.
    pub(super) fn new(camera: &CameraInfo, out_pixel: Pixel) -> Result<Self, EncodeError> {
        let rgb_input = matches!(camera.pixel_format, PixelFormat::Bgr8 | PixelFormat::Rgb8);
        let conversion = if camera.pixel_format == PixelFormat::Mono8 && out_pixel != Pixel::GRAY16LE {
            Conversion::Luma
        } else if camera.pixel_format == PixelFormat::Mono16 && out_pixel != Pixel::GRAY16LE {
            Conversion::Luma16
        } else if rgb_input && matches!(out_pixel, Pixel::YUV420P | Pixel::YUV444P) {
            Conversion::Rgb {
                bgr: camera.pixel_format == PixelFormat::Bgr8,
                yuv420: out_pixel == Pixel::YUV420P,
            }
        } else if camera.pixel_format.is_bayer() && matches!(out_pixel, Pixel::YUV420P | Pixel::YUV444P) {
            Conversion::Bayer {
                demosaic: Scaler::new(
                    input_pixel(camera.pixel_format),
                    Pixel::BGR24,
                    camera.width,
                    camera.height,
                )?,
                bgr_frame: vec![0; PixelFormat::Bgr8.frame_size(camera.width, camera.height)],
                yuv420: out_pixel == Pixel::YUV420P,
            }
        } else {
            Conversion::Scale(Scaler::new(
                input_pixel(camera.pixel_format),
                out_pixel,
                camera.width,
                camera.height,
            )?)
        };
        Ok(conversion)
    }

    /// Fills `picture` (writable, `width` x `height` in the output format) from one frame of tightly packed
    /// `input` pixels.
    pub(super) fn fill(
        &mut self,
        picture: &mut ff::frame::Video,
        data: &[u8],
        input: PixelFormat,
        width: usize,
        height: usize,
    ) -> Result<(), EncodeError> {
        let expected = input.frame_size(width as u32, height as u32);
        if data.len() != expected {
            return Err(EncodeError::Unsupported(format!(
                "frame has {} bytes, {}x{} {} needs {expected}",
                data.len(),
                width,
                height,
                input
            )));
        }
        match self {
            Conversion::Luma => {
                let stride = picture.stride(0);
                let plane = picture.data_mut(0);
                for (row, src) in data.chunks_exact(width).enumerate() {
                    plane[row * stride..row * stride + width].copy_from_slice(src);
                }
            }
            Conversion::Luma16 => {
                let stride = picture.stride(0);
                let plane = picture.data_mut(0);
                for (row, src) in data.chunks_exact(width * 2).enumerate() {
                    let dst = &mut plane[row * stride..row * stride + width];
                    for (d, s) in dst.iter_mut().zip(src.chunks_exact(2)) {
                        *d = ((u32::from(u16::from_le_bytes([s[0], s[1]])) + 128) >> 8).min(255) as u8;
                    }
                }
            }
            Conversion::Rgb { bgr, yuv420 } => rgb_to_yuv(picture, data, width, height, *bgr, *yuv420)?,
            Conversion::Bayer {
                demosaic,
                bgr_frame,
                yuv420,
            } => {
                let stride = [(width * 3) as i32, 0, 0, 0];
                let dst = [
                    bgr_frame.as_mut_ptr(),
                    std::ptr::null_mut(),
                    std::ptr::null_mut(),
                    std::ptr::null_mut(),
                ];
                // SAFETY: `bgr_frame` holds `height` rows of `width * 3` bytes, the BGR24 frame the scaler was
                // made for.
                unsafe { demosaic.run(data, width, height, dst.as_ptr(), stride.as_ptr())? };
                rgb_to_yuv(picture, bgr_frame, width, height, true, *yuv420)?;
            }
            Conversion::Scale(scaler) => {
                // SAFETY: the destination planes belong to a writable frame of the size and format the scaler
                // was made for.
                unsafe {
                    let dst = picture.as_mut_ptr();
                    scaler.run(
                        data,
                        width * input.bytes_per_pixel(),
                        height,
                        (*dst).data.as_ptr(),
                        (*dst).linesize.as_ptr(),
                    )?;
                }
            }
        }
        Ok(())
    }
}

pub(super) struct Scaler(*mut ffi::SwsContext);

// The context is used by one thread at a time (the encoder's owner).
unsafe impl Send for Scaler {}

impl Drop for Scaler {
    fn drop(&mut self) {
        // SAFETY: the pointer came from sws_getContext and is freed once.
        unsafe { ffi::sws_freeContext(self.0) }
    }
}

impl Scaler {
    fn new(src: Pixel, dst: Pixel, width: u32, height: u32) -> Result<Self, EncodeError> {
        let (w, h) = (width as i32, height as i32);
        // SAFETY: plain constructor calls; a null result is handled.
        unsafe {
            // ACCURATE_RND keeps swscale off its special RGB-to-4:2:0 converters, which ignore the range set
            // below and write limited range (white became luma 234 in a file labelled full range). BGR/RGB
            // to YUV goes through `Conversion::Rgb`; this guards the conversions that still come here.
            let ctx = ffi::sws_getContext(
                w,
                h,
                src.into(),
                w,
                h,
                dst.into(),
                ffi::SWS_BILINEAR | ffi::SWS_ACCURATE_RND,
                std::ptr::null_mut(),
                std::ptr::null_mut(),
                std::ptr::null(),
            );
            if ctx.is_null() {
                return Err(EncodeError::Unsupported(format!(
                    "cannot convert {} to {}",
                    pixel_name(src),
                    pixel_name(dst)
                )));
            }
            // Full range in and out: camera values 0–255 stay 0–255.
            let coefficients = ffi::sws_getCoefficients(ffi::SWS_CS_DEFAULT);
            ffi::sws_setColorspaceDetails(ctx, coefficients, 1, coefficients, 1, 0, 1 << 16, 1 << 16);
            Ok(Scaler(ctx))
        }
    }

    /// Converts one frame of `height` rows of `src_stride` bytes from `src`.
    ///
    /// # Safety
    /// `dst` and `dst_stride` must describe writable planes of the size and format this scaler was made for.
    unsafe fn run(
        &self,
        src: &[u8],
        src_stride: usize,
        height: usize,
        dst: *const *mut u8,
        dst_stride: *const i32,
    ) -> Result<(), EncodeError> {
        if src.len() < src_stride * height {
            return Err(EncodeError::Unsupported(format!(
                "frame has {} bytes, {height} rows of {src_stride} need more",
                src.len()
            )));
        }
        let src_planes = [src.as_ptr(), std::ptr::null(), std::ptr::null(), std::ptr::null()];
        let src_strides = [src_stride as i32, 0, 0, 0];
        // SAFETY: the source covers `height` rows of `src_stride` bytes (checked above); the caller vouches
        // for the destination.
        let ret = unsafe {
            ffi::sws_scale(
                self.0,
                src_planes.as_ptr(),
                src_strides.as_ptr(),
                0,
                height as i32,
                dst,
                dst_stride,
            )
        };
        if ret < 0 {
            return Err(EncodeError::ffmpeg("converting pixels", ff::Error::from(ret)));
        }
        Ok(())
    }
}

/// Converts a packed BGR (or RGB) frame into the planes of `picture`, full-range BT.601 YUV 4:2:0 (or 4:4:4),
/// with yuvutils-rs.
fn rgb_to_yuv(
    picture: &mut ff::frame::Video,
    data: &[u8],
    width: usize,
    height: usize,
    bgr: bool,
    yuv420: bool,
) -> Result<(), EncodeError> {
    let chroma_rows = if yuv420 { height.div_ceil(2) } else { height };
    // SAFETY: a writable frame allocated for `width` x `height` in a three-plane YUV format: plane 0 holds
    // `height` rows of `linesize[0]` bytes, planes 1 and 2 `chroma_rows` rows each, and the planes do not
    // overlap. The slices live only for this conversion.
    let (y, u, v, linesize) = unsafe {
        let frame = picture.as_mut_ptr();
        let linesize = (*frame).linesize;
        let plane =
            |i: usize, rows: usize| std::slice::from_raw_parts_mut((*frame).data[i], linesize[i] as usize * rows);
        (plane(0, height), plane(1, chroma_rows), plane(2, chroma_rows), linesize)
    };
    let mut image = yuvutils_rs::YuvPlanarImageMut {
        y_plane: yuvutils_rs::BufferStoreMut::Borrowed(y),
        y_stride: linesize[0] as u32,
        u_plane: yuvutils_rs::BufferStoreMut::Borrowed(u),
        u_stride: linesize[1] as u32,
        v_plane: yuvutils_rs::BufferStoreMut::Borrowed(v),
        v_stride: linesize[2] as u32,
        width: width as u32,
        height: height as u32,
    };
    let convert = match (bgr, yuv420) {
        (true, true) => yuvutils_rs::bgr_to_yuv420,
        (true, false) => yuvutils_rs::bgr_to_yuv444,
        (false, true) => yuvutils_rs::rgb_to_yuv420,
        (false, false) => yuvutils_rs::rgb_to_yuv444,
    };
    convert(
        &mut image,
        data,
        (width * 3) as u32,
        yuvutils_rs::YuvRange::Full,
        yuvutils_rs::YuvStandardMatrix::Bt601,
        yuvutils_rs::YuvConversionMode::Balanced,
    )
    .map_err(|e| EncodeError::Unsupported(format!("converting pixels: {e}")))
}
