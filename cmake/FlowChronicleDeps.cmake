# Finds the dependencies and wraps each in an imported target. HDF5 must be the parallel build:
# the dataset is read collectively over MPI-IO.
find_package(MPI REQUIRED COMPONENTS C)
find_package(OpenMP REQUIRED COMPONENTS C)
find_package(ZLIB REQUIRED)
find_package(PkgConfig REQUIRED)

# Debian installs the MPI flavours side by side; prefer Open MPI's build of HDF5.
if(NOT HDF5_C_COMPILER_EXECUTABLE AND EXISTS /usr/bin/h5pcc.openmpi)
  set(HDF5_C_COMPILER_EXECUTABLE /usr/bin/h5pcc.openmpi)
endif()
set(HDF5_PREFER_PARALLEL ON)
find_package(HDF5 REQUIRED COMPONENTS C)
if(NOT HDF5_IS_PARALLEL)
  message(FATAL_ERROR
    "FlowChronicle needs a parallel (MPI) build of HDF5, but the HDF5 found "
    "(${HDF5_C_INCLUDE_DIRS}) is serial. On Debian: apt-get install libhdf5-openmpi-dev, "
    "or point HDF5_C_COMPILER_EXECUTABLE at a parallel h5pcc.")
endif()
add_library(fc::hdf5 INTERFACE IMPORTED)
target_include_directories(fc::hdf5 INTERFACE ${HDF5_C_INCLUDE_DIRS})
target_link_libraries(fc::hdf5 INTERFACE ${HDF5_C_LIBRARIES})
target_compile_definitions(fc::hdf5 INTERFACE ${HDF5_C_DEFINITIONS} H5_USE_110_API_DEFAULT=0)

pkg_check_modules(PCAP REQUIRED IMPORTED_TARGET libpcap)
add_library(fc::pcap ALIAS PkgConfig::PCAP)
pkg_check_modules(JANSSON REQUIRED IMPORTED_TARGET jansson)
add_library(fc::jansson ALIAS PkgConfig::JANSSON)
pkg_check_modules(XXHASH REQUIRED IMPORTED_TARGET libxxhash)
add_library(fc::xxhash ALIAS PkgConfig::XXHASH)
if(FC_BUILD_TESTS)
  pkg_check_modules(CMOCKA REQUIRED IMPORTED_TARGET cmocka)
endif()

find_path(RANDOM123_INCLUDE_DIR Random123/philox.h)
if(NOT RANDOM123_INCLUDE_DIR)
  message(FATAL_ERROR "Random123 headers not found (Debian: apt-get install librandom123-dev)")
endif()
