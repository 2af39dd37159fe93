// Upstream (real dlib) reference outputs for Verity's pure-Rust face pipeline.
//
// Built against Debian's libdlib-dev (dlib 19.24); see tools/faces/make_fixtures.sh:
//   g++ -O2 -std=c++14 reference.cpp -o reference $(pkg-config --cflags --libs dlib-1)
//
// Subcommands:
//   verify-resnet <resnet.dat> <face_resnet_v1.bin>
//       Rebuilds the VRTYFRN1 file from the network dlib deserialized and compares it
//       byte for byte with the converter's output.
//   verify-sp <shape_predictor.dat> <shape_predictor_5.bin>
//       Rebuilds dlib's own serialization of a shape_predictor from the VRTYSP01 file and
//       compares it byte for byte with the original .dat.
//   descriptors <resnet.dat> <out.json> <name=150x150.png>...
//       128-d descriptors (net(img)) for 150x150 RGB inputs, plus intermediate layer
//       outputs for the first input.
//   landmarks <resnet.dat> <sp.dat> <out.json> <out_dir> <name=photo>...
//       Frontal face detection, 5 landmarks, face chip (saved as PNG in out_dir),
//       chip details and chip descriptor for the largest face of each photo.  The
//       decoded photo is also saved as <out_dir>/<name>.png so consumers get exactly
//       the pixels dlib used.
//       A photo argument is name=path[|up][|crop:x,y,w,h][|rect:l,t,r,b]: "up" doubles
//       the image with dlib's pyramid_up, "crop" keeps a window, "rect" skips the
//       detector and uses the given rectangle (may extend past the image).  The saved
//       <name>.png is the image after these transforms.
//   landmarks-all ...
//       Same, for every detected face (entries named <name>#<detection index>).
//
// All floats are printed with %.9g (round-trips IEEE float32).

#include <dlib/dnn.h>
#include <dlib/revision.h>
#include <dlib/image_io.h>
#include <dlib/image_processing.h>
#include <dlib/image_processing/frontal_face_detector.h>
#include <dlib/image_transforms.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

using namespace dlib;

// ---------------------------------------------------------------------------------------
// The network, verbatim from dlib/examples/dnn_face_recognition_ex.cpp

template <template <int,template<typename>class,int,typename> class block, int N, template<typename>class BN, typename SUBNET>
using residual = add_prev1<block<N,BN,1,tag1<SUBNET>>>;

template <template <int,template<typename>class,int,typename> class block, int N, template<typename>class BN, typename SUBNET>
using residual_down = add_prev2<avg_pool<2,2,2,2,skip1<tag2<block<N,BN,2,tag1<SUBNET>>>>>>;

template <int N, template <typename> class BN, int stride, typename SUBNET>
using block  = BN<con<N,3,3,1,1,relu<BN<con<N,3,3,stride,stride,SUBNET>>>>>;

template <int N, typename SUBNET> using ares      = relu<residual<block,N,affine,SUBNET>>;
template <int N, typename SUBNET> using ares_down = relu<residual_down<block,N,affine,SUBNET>>;

template <typename SUBNET> using alevel0 = ares_down<256,SUBNET>;
template <typename SUBNET> using alevel1 = ares<256,ares<256,ares_down<256,SUBNET>>>;
template <typename SUBNET> using alevel2 = ares<128,ares<128,ares_down<128,SUBNET>>>;
template <typename SUBNET> using alevel3 = ares<64,ares<64,ares<64,ares_down<64,SUBNET>>>>;
template <typename SUBNET> using alevel4 = ares<32,ares<32,ares<32,SUBNET>>>;

using anet_type = loss_metric<fc_no_bias<128,avg_pool_everything<
                            alevel0<
                            alevel1<
                            alevel2<
                            alevel3<
                            alevel4<
                            max_pool<3,3,2,2,relu<affine<con<32,7,7,2,2,
                            input_rgb_image_sized<150>
                            >>>>>>>>>>>>;

// ---------------------------------------------------------------------------------------
// small helpers

static std::string fmt(double v)
{
    char buf[64];
    std::snprintf(buf, sizeof(buf), "%.9g", v);
    return buf;
}

static std::string fmt_vec(const float* p, size_t n)
{
    std::string s = "[";
    for (size_t i = 0; i < n; ++i)
    {
        if (i) s += ", ";
        s += fmt(p[i]);
    }
    return s + "]";
}

static std::string json_str(const std::string& s)
{
    std::string o = "\"";
    for (char c : s)
    {
        if (c == '"' || c == '\\') { o += '\\'; o += c; }
        else o += c;
    }
    return o + "\"";
}

static std::string read_file(const std::string& path)
{
    std::ifstream f(path, std::ios::binary);
    if (!f) throw std::runtime_error("cannot open " + path);
    std::ostringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

static void split_named(const std::string& arg, std::string& name, std::string& path)
{
    auto eq = arg.find('=');
    if (eq == std::string::npos)
    {
        path = arg;
        auto slash = path.find_last_of('/');
        name = path.substr(slash == std::string::npos ? 0 : slash + 1);
        auto dot = name.find_last_of('.');
        if (dot != std::string::npos) name = name.substr(0, dot);
    }
    else
    {
        name = arg.substr(0, eq);
        path = arg.substr(eq + 1);
    }
}

// ---------------------------------------------------------------------------------------
// verify-resnet: rebuild VRTYFRN1 from the in-memory network

struct tensor_entry
{
    std::string name;
    std::vector<uint32_t> dims;
    std::vector<float> vals;
};

struct param_collector
{
    // computational layers in the order visit_computational_layers() gives them
    // (output side first); each entry is a list of tensors.
    std::vector<std::vector<tensor_entry>> layers;
    std::vector<std::string> kinds;

    template <long nf, long nr, long nc, int sy, int sx, int py, int px>
    void operator()(con_<nf,nr,nc,sy,sx,py,px>& l)
    {
        const tensor& p = l.get_layer_params();
        const long n = l.num_filters();
        const long total = p.size();
        const long cin = (total - n) / (n * nr * nc);
        tensor_entry w{"w", {(uint32_t)n, (uint32_t)cin, (uint32_t)nr, (uint32_t)nc}, {}};
        tensor_entry b{"b", {(uint32_t)n}, {}};
        const float* d = p.host();
        w.vals.assign(d, d + n * cin * nr * nc);
        if (total == n * cin * nr * nc + n)
            b.vals.assign(d + n * cin * nr * nc, d + total);
        else
            b.vals.assign(n, 0.0f);
        layers.push_back({w, b});
        kinds.push_back("con");
    }

    void operator()(affine_& l)
    {
        auto g = l.get_gamma();
        auto b = l.get_beta();
        tensor_entry tg{"gamma", {(uint32_t)g.size()}, {}};
        tensor_entry tb{"beta", {(uint32_t)b.size()}, {}};
        tg.vals.assign(g.host(), g.host() + g.size());
        tb.vals.assign(b.host(), b.host() + b.size());
        layers.push_back({tg, tb});
        kinds.push_back("affine");
    }

    template <unsigned long num_outputs, fc_bias_mode mode>
    void operator()(fc_<num_outputs, mode>& l)
    {
        const tensor& p = l.get_layer_params();
        const long nin = p.size() / num_outputs;
        tensor_entry w{"w", {(uint32_t)num_outputs, (uint32_t)nin}, {}};
        w.vals.resize(num_outputs * nin);
        const float* d = p.host();  // dlib layout: num_inputs x num_outputs
        for (long i = 0; i < nin; ++i)
            for (unsigned long o = 0; o < num_outputs; ++o)
                w.vals[o * nin + i] = d[i * num_outputs + o];
        layers.push_back({w});
        kinds.push_back("fc");
    }

    template <typename T>
    void operator()(T&) {}
};

static void append_u32(std::string& s, uint32_t v)
{
    unsigned char b[4] = {(unsigned char)(v), (unsigned char)(v >> 8), (unsigned char)(v >> 16), (unsigned char)(v >> 24)};
    s.append((const char*)b, 4);
}

static void append_f32(std::string& s, float f)
{
    uint32_t u;
    std::memcpy(&u, &f, 4);
    append_u32(s, u);
}

static int cmd_verify_resnet(const std::string& dat, const std::string& bin)
{
    anet_type net;
    deserialize(dat) >> net;
    param_collector pc;
    visit_computational_layers(net, [&](auto& l) { pc(l); });

    // reverse into forward order: con0, affine0, then per block con, affine, con, affine, then fc
    std::vector<std::vector<tensor_entry>> fwd(pc.layers.rbegin(), pc.layers.rend());
    std::vector<std::string> kinds(pc.kinds.rbegin(), pc.kinds.rend());
    std::vector<tensor_entry> out;
    size_t idx = 0;
    auto take = [&](const std::string& prefix, const char* kind) {
        if (idx >= fwd.size() || kinds[idx] != kind)
            throw std::runtime_error("unexpected layer order at " + prefix);
        for (auto& t : fwd[idx])
        {
            tensor_entry e = t;
            e.name = prefix + "." + t.name;
            out.push_back(e);
        }
        ++idx;
    };
    take("conv0", "con");
    take("affine0", "affine");
    for (int b = 0; b < 14; ++b)
    {
        std::string p = "block" + std::to_string(b);
        take(p + ".conv1", "con");
        take(p + ".affine1", "affine");
        take(p + ".conv2", "con");
        take(p + ".affine2", "affine");
    }
    if (idx >= fwd.size() || kinds[idx] != "fc") throw std::runtime_error("fc missing");
    out.push_back(fwd[idx][0]);
    out.back().name = "fc.w";
    ++idx;
    if (idx != fwd.size()) throw std::runtime_error("extra computational layers");

    std::string s = "VRTYFRN1";
    append_u32(s, out.size());
    for (auto& t : out)
    {
        append_u32(s, t.name.size());
        s += t.name;
        append_u32(s, t.dims.size());
        for (auto d : t.dims) append_u32(s, d);
        for (float f : t.vals) append_f32(s, f);
    }
    const std::string file = read_file(bin);
    std::cout << "verify-resnet: dlib-rebuilt " << s.size() << " bytes, file " << file.size() << " bytes: "
              << (s == file ? "IDENTICAL" : "DIFFERENT") << "\n";
    return s == file ? 0 : 1;
}

// ---------------------------------------------------------------------------------------
// verify-sp: rebuild dlib's shape_predictor serialization from VRTYSP01

struct le_reader
{
    const std::string& d;
    size_t pos = 0;
    explicit le_reader(const std::string& s) : d(s) {}
    uint32_t u32()
    {
        if (pos + 4 > d.size()) throw std::runtime_error("truncated VRTYSP01");
        uint32_t v = (unsigned char)d[pos] | ((unsigned char)d[pos+1] << 8) | ((unsigned char)d[pos+2] << 16) | ((uint32_t)(unsigned char)d[pos+3] << 24);
        pos += 4;
        return v;
    }
    float f32()
    {
        uint32_t u = u32();
        float f;
        std::memcpy(&f, &u, 4);
        return f;
    }
};

static int cmd_verify_sp(const std::string& dat, const std::string& bin)
{
    const std::string b = read_file(bin);
    if (b.compare(0, 8, "VRTYSP01") != 0) throw std::runtime_error("bad magic");
    le_reader r(b);
    r.pos = 8;
    const uint32_t n = r.u32();
    matrix<float,0,1> initial_shape(2 * n);
    for (uint32_t i = 0; i < 2 * n; ++i) initial_shape(i) = r.f32();
    const uint32_t ncascades = r.u32();
    std::vector<std::vector<impl::regression_tree>> forests(ncascades);
    std::vector<std::vector<unsigned long>> anchor_idx(ncascades);
    std::vector<std::vector<dlib::vector<float,2>>> deltas(ncascades);
    for (uint32_t c = 0; c < ncascades; ++c)
    {
        const uint32_t F = r.u32();
        anchor_idx[c].resize(F);
        for (auto& a : anchor_idx[c]) a = r.u32();
        deltas[c].resize(F);
        for (auto& d : deltas[c]) { d.x() = r.f32(); d.y() = r.f32(); }
        forests[c].resize(r.u32());
        for (auto& t : forests[c])
        {
            t.splits.resize(r.u32());
            for (auto& s : t.splits) { s.idx1 = r.u32(); s.idx2 = r.u32(); s.thresh = r.f32(); }
            t.leaf_values.resize(r.u32());
            for (auto& l : t.leaf_values)
            {
                l.set_size(2 * n);
                for (uint32_t i = 0; i < 2 * n; ++i) l(i) = r.f32();
            }
        }
    }
    if (r.pos != b.size()) throw std::runtime_error("trailing bytes in VRTYSP01");

    std::ostringstream ss;
    int version = 1;
    serialize(version, ss);
    serialize(initial_shape, ss);
    serialize(forests, ss);
    serialize(anchor_idx, ss);
    serialize(deltas, ss);
    const std::string rebuilt = ss.str();
    const std::string original = read_file(dat);

    // and make sure dlib accepts what we rebuilt
    shape_predictor sp;
    std::istringstream is(rebuilt);
    deserialize(sp, is);

    std::cout << "verify-sp: rebuilt " << rebuilt.size() << " bytes, original " << original.size() << " bytes: "
              << (rebuilt == original ? "IDENTICAL" : "DIFFERENT") << " (" << sp.num_parts() << " parts, "
              << sp.num_features() << " features)\n";
    return rebuilt == original ? 0 : 1;
}

// ---------------------------------------------------------------------------------------
// descriptors

struct dump_stats
{
    std::string name;
    long k, nr, nc;
    double sum, sum_abs, minv, maxv;
    std::vector<float> first;
};

static dump_stats stats_of(const std::string& name, const tensor& t)
{
    dump_stats s;
    s.name = name;
    s.k = t.k(); s.nr = t.nr(); s.nc = t.nc();
    const float* p = t.host();
    s.sum = 0; s.sum_abs = 0; s.minv = p[0]; s.maxv = p[0];
    for (size_t i = 0; i < t.size(); ++i)
    {
        s.sum += p[i];
        s.sum_abs += std::abs(p[i]);
        s.minv = std::min<double>(s.minv, p[i]);
        s.maxv = std::max<double>(s.maxv, p[i]);
    }
    s.first.assign(p, p + std::min<size_t>(16, t.size()));
    return s;
}

template <size_t I>
static void dump(std::vector<dump_stats>& out, anet_type& net, const std::string& name)
{
    out.push_back(stats_of(name, layer<I>(net).get_output()));
}

static void load_rgb(const std::string& path, matrix<rgb_pixel>& img)
{
    load_image(img, path);
}

static int cmd_descriptors(const std::string& dat, const std::string& out_json, const std::vector<std::string>& inputs)
{
    anet_type net;
    deserialize(dat) >> net;
    std::ofstream o(out_json);
    o << "{\n";
    o << "  \"generator\": \"tools/faces/reference.cpp (dlib " << DLIB_MAJOR_VERSION << "." << DLIB_MINOR_VERSION << "." << DLIB_PATCH_VERSION << ", Debian libdlib-dev)\",\n";
    o << "  \"model\": \"dlib_face_recognition_resnet_model_v1.dat\",\n";
    o << "  \"call\": \"anet_type net; deserialize(model) >> net; net(matrix<rgb_pixel> 150x150)\",\n";
    o << "  \"tolerance\": 1e-4,\n";
    o << "  \"inputs\": [\n";
    std::vector<dump_stats> dumps;
    for (size_t i = 0; i < inputs.size(); ++i)
    {
        std::string name, path;
        split_named(inputs[i], name, path);
        matrix<rgb_pixel> img;
        load_rgb(path, img);
        if (img.nr() != 150 || img.nc() != 150) throw std::runtime_error(path + " is not 150x150");
        matrix<float,0,1> d = net(img);
        if (i == 0)
        {
            // Layer indices counted from the loss layer (layer<0>); see README.md.
            dump<127>(dumps, net, "after conv0+affine0+relu+max_pool (layer<127>, max_pool)");
            dump<119>(dumps, net, "after block0 (layer<119>)");
            dump<111>(dumps, net, "after block1 (layer<111>)");
            dump<103>(dumps, net, "after block2 (layer<103>)");
            dump<92>(dumps, net, "after block3 (layer<92>)");
            dump<84>(dumps, net, "after block4 (layer<84>)");
            dump<76>(dumps, net, "after block5 (layer<76>)");
            dump<68>(dumps, net, "after block6 (layer<68>)");
            dump<57>(dumps, net, "after block7 (layer<57>)");
            dump<49>(dumps, net, "after block8 (layer<49>)");
            dump<41>(dumps, net, "after block9 (layer<41>)");
            dump<30>(dumps, net, "after block10 (layer<30>)");
            dump<22>(dumps, net, "after block11 (layer<22>)");
            dump<14>(dumps, net, "after block12 (layer<14>)");
            dump<3>(dumps, net, "after block13 (layer<3>)");
            dump<2>(dumps, net, "after avg_pool_everything (layer<2>)");
            dump<1>(dumps, net, "after fc_no_bias (layer<1>) = descriptor");
        }
        double norm = 0;
        for (long j = 0; j < d.size(); ++j) norm += d(j) * d(j);
        o << "    {\"name\": " << json_str(name) << ", \"png\": " << json_str(path.substr(path.find_last_of('/') + 1))
          << ", \"l2_norm\": " << fmt(std::sqrt(norm)) << ",\n     \"descriptor\": " << fmt_vec(&d(0), d.size()) << "}"
          << (i + 1 < inputs.size() ? "," : "") << "\n";
    }
    o << "  ],\n";
    o << "  \"intermediate_input\": " << json_str(inputs.empty() ? "" : inputs[0].substr(0, inputs[0].find('='))) << ",\n";
    o << "  \"intermediate_note\": \"dlib tensors are (sample, k, row, col) row-major; 'first' = the first 16 values (channel 0, row 0, cols 0..15 where rows are that wide); sums in double\",\n";
    o << "  \"intermediate\": [\n";
    for (size_t i = 0; i < dumps.size(); ++i)
    {
        auto& s = dumps[i];
        o << "    {\"layer\": " << json_str(s.name) << ", \"shape\": [" << s.k << ", " << s.nr << ", " << s.nc << "], "
          << "\"sum\": " << fmt(s.sum) << ", \"sum_abs\": " << fmt(s.sum_abs) << ", \"min\": " << fmt(s.minv)
          << ", \"max\": " << fmt(s.maxv) << ",\n     \"first\": " << fmt_vec(s.first.data(), s.first.size()) << "}"
          << (i + 1 < dumps.size() ? "," : "") << "\n";
    }
    o << "  ]\n}\n";
    std::cout << "descriptors: wrote " << out_json << " (" << inputs.size() << " inputs)\n";
    return 0;
}

// ---------------------------------------------------------------------------------------
// landmarks

static int cmd_landmarks(const std::string& dat, const std::string& sp_dat, const std::string& out_json,
                         const std::string& out_dir, const std::vector<std::string>& photos, bool all_faces)
{
    anet_type net;
    deserialize(dat) >> net;
    shape_predictor sp;
    deserialize(sp_dat) >> sp;
    frontal_face_detector detector = get_frontal_face_detector();

    std::vector<matrix<float,0,1>> descs;
    std::vector<std::string> names;
    std::ofstream o(out_json);
    o << "{\n";
    o << "  \"generator\": \"tools/faces/reference.cpp (dlib " << DLIB_MAJOR_VERSION << "." << DLIB_MINOR_VERSION << "." << DLIB_PATCH_VERSION << ", Debian libdlib-dev)\",\n";
    o << "  \"models\": [\"shape_predictor_5_face_landmarks.dat\", \"dlib_face_recognition_resnet_model_v1.dat\"],\n";
    o << "  \"pipeline\": \"detector = get_frontal_face_detector(); dets = detector(img) (if none: pyramid_up once, detect, map rects back with pyramid_down<2>::rect_down); largest detection (landmarks) or every detection (landmarks-all); shape = sp(img, rect); details = get_face_chip_details(shape, 150, 0.25); extract_image_chip(img, details, chip); descriptor = net(chip)\",\n";
    o << "  \"notes\": \"img is the decoded (and, per transforms, upsampled with pyramid_up / cropped) photo exactly as saved in image_png; landmark parts are dlib::point (integers, rounded with floor(x+0.5) from the float shape); rect is [left, top, right, bottom] inclusive; chip rect is a drectangle [left, top, right, bottom]; angle in radians\",\n";
    o << "  \"faces\": [\n";
    bool first = true;
    for (const auto& arg : photos)
    {
        std::string photo_name, spec;
        split_named(arg, photo_name, spec);
        // spec = path[|up][|crop:x,y,w,h][|rect:l,t,r,b], applied left to right
        std::vector<std::string> parts;
        {
            std::istringstream ss(spec);
            std::string p;
            while (std::getline(ss, p, '|')) parts.push_back(p);
        }
        const std::string path = parts.at(0);
        matrix<rgb_pixel> img;
        load_rgb(path, img);
        std::string transforms;
        bool have_rect = false;
        rectangle given_rect;
        for (size_t i = 1; i < parts.size(); ++i)
        {
            const std::string& t = parts[i];
            long a, b, c, d;
            if (t == "up")
            {
                matrix<rgb_pixel> up;
                pyramid_up(img, up, pyramid_down<2>());
                img.swap(up);
            }
            else if (std::sscanf(t.c_str(), "crop:%ld,%ld,%ld,%ld", &a, &b, &c, &d) == 4)
            {
                if (a < 0 || b < 0 || a + c > img.nc() || b + d > img.nr()) throw std::runtime_error("crop outside image: " + t);
                matrix<rgb_pixel> cropped = subm(img, b, a, d, c);
                img.swap(cropped);
            }
            else if (std::sscanf(t.c_str(), "rect:%ld,%ld,%ld,%ld", &a, &b, &c, &d) == 4)
            {
                given_rect = rectangle(a, b, c, d);
                have_rect = true;
            }
            else
                throw std::runtime_error("bad photo spec element: " + t);
            transforms += (transforms.empty() ? "" : ", ") + t;
        }
        const std::string img_png = photo_name + ".png";
        save_png(img, out_dir + "/" + img_png);

        std::vector<rect_detection> dets;
        int upsample = 0;
        if (have_rect)
        {
            rect_detection rd;
            rd.rect = given_rect;
            rd.detection_confidence = 0;
            rd.weight_index = 0;
            dets.push_back(rd);
        }
        else
            detector(img, dets);
        if (dets.empty())
        {
            matrix<rgb_pixel> up;
            pyramid_up(img, up, pyramid_down<2>());
            detector(up, dets);
            pyramid_down<2> pyr;
            for (auto& d : dets) d.rect = pyr.rect_down(d.rect);
            upsample = 1;
        }
        if (dets.empty())
        {
            std::cerr << "landmarks: no face found in " << path << "\n";
            continue;
        }
        std::vector<size_t> chosen;
        if (all_faces)
        {
            for (size_t i = 0; i < dets.size(); ++i) chosen.push_back(i);
        }
        else
        {
            size_t best = 0;
            for (size_t i = 1; i < dets.size(); ++i)
                if (dets[i].rect.area() > dets[best].rect.area()) best = i;
            chosen.push_back(best);
        }
        for (size_t which : chosen)
        {
            const std::string name = all_faces ? photo_name + "#" + std::to_string(which) : photo_name;
            const std::string chip_png = photo_name + "_chip" + (all_faces ? std::to_string(which) : std::string()) + ".png";
            const rectangle rect = dets[which].rect;
            full_object_detection shape = sp(img, rect);
            chip_details cd = get_face_chip_details(shape, 150, 0.25);
            matrix<rgb_pixel> chip;
            extract_image_chip(img, cd, chip);
            save_png(chip, out_dir + "/" + chip_png);
            matrix<float,0,1> d = net(chip);
            descs.push_back(d);
            names.push_back(name);

            if (!first) o << ",\n";
            first = false;
            o << "    {\"name\": " << json_str(name) << ", \"image_png\": " << json_str(img_png)
              << ", \"image_rows\": " << img.nr() << ", \"image_cols\": " << img.nc() << ",\n";
            o << "     \"source\": " << json_str(path.substr(path.find_last_of('/') + 1))
              << ", \"transforms\": " << json_str(transforms) << ",\n";
            if (have_rect)
                o << "     \"rect_source\": \"given (detector not run)\",\n";
            else
                o << "     \"rect_source\": \"detector\", \"detections\": " << dets.size() << ", \"detector_upsample\": " << upsample
                  << ", \"detection_confidence\": " << fmt(dets[which].detection_confidence) << ",\n";
            o << "     \"rect\": [" << rect.left() << ", " << rect.top() << ", " << rect.right() << ", " << rect.bottom() << "],\n";
            o << "     \"landmarks\": [";
            for (unsigned long i = 0; i < shape.num_parts(); ++i)
                o << (i ? ", " : "") << "[" << shape.part(i).x() << ", " << shape.part(i).y() << "]";
            o << "],\n";
            o << "     \"chip_details\": {\"rect\": [" << fmt(cd.rect.left()) << ", " << fmt(cd.rect.top()) << ", "
              << fmt(cd.rect.right()) << ", " << fmt(cd.rect.bottom()) << "], \"angle\": " << fmt(cd.angle)
              << ", \"rows\": " << cd.rows << ", \"cols\": " << cd.cols << "},\n";
            o << "     \"chip_png\": " << json_str(chip_png) << ",\n";
            o << "     \"descriptor\": " << fmt_vec(&d(0), d.size()) << "}";
            std::cout << "landmarks: " << name << " rect " << rect << " upsample " << upsample << "\n";
        }
    }
    o << "\n  ],\n";
    o << "  \"distances\": [\n";
    bool fd = true;
    for (size_t i = 0; i < descs.size(); ++i)
        for (size_t j = i + 1; j < descs.size(); ++j)
        {
            if (!fd) o << ",\n";
            fd = false;
            o << "    {\"a\": " << json_str(names[i]) << ", \"b\": " << json_str(names[j])
              << ", \"euclidean\": " << fmt(length(descs[i] - descs[j])) << "}";
        }
    o << "\n  ]\n}\n";
    return 0;
}

int main(int argc, char** argv)
{
    try
    {
        if (argc < 2) throw std::runtime_error("usage: see the comment at the top of reference.cpp");
        const std::string cmd = argv[1];
        std::vector<std::string> rest(argv + 2, argv + argc);
        if (cmd == "verify-resnet" && rest.size() == 2) return cmd_verify_resnet(rest[0], rest[1]);
        if (cmd == "verify-sp" && rest.size() == 2) return cmd_verify_sp(rest[0], rest[1]);
        if (cmd == "descriptors" && rest.size() >= 3)
            return cmd_descriptors(rest[0], rest[1], std::vector<std::string>(rest.begin() + 2, rest.end()));
        if ((cmd == "landmarks" || cmd == "landmarks-all") && rest.size() >= 5)
            return cmd_landmarks(rest[0], rest[1], rest[2], rest[3], std::vector<std::string>(rest.begin() + 4, rest.end()),
                                 cmd == "landmarks-all");
        throw std::runtime_error("bad arguments; see the comment at the top of reference.cpp");
    }
    catch (std::exception& e)
    {
        std::cerr << "error: " << e.what() << "\n";
        return 2;
    }
}
